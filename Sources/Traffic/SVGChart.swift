/// A bar chart as a self-contained SVG document (no scripts, fonts or external references): a
/// title, a subtitle, y axis with round ticks and its label, x axis labels, bars, an optional line
/// series, and one highlighted bar with a note (the busy interval).
public struct BarChart: Sendable {
    public struct Bar: Sendable {
        public let label: String
        public let value: Double
        public init(label: String, value: Double) {
            self.label = label
            self.value = value
        }
    }

    public var title: String
    public var subtitle: String
    public var yAxisLabel: String
    public var xAxisLabel: String
    public var bars: [Bar]
    public var barSeriesName: String
    /// A second series drawn as a line over the bars (e.g. offered Erlangs); nil values leave gaps.
    public var line: [Double?]?
    public var lineSeriesName = ""
    public var highlighted: Int?
    public var highlightNote = ""

    public init(title: String, subtitle: String, yAxisLabel: String, xAxisLabel: String, bars: [Bar], barSeriesName: String) {
        self.title = title
        self.subtitle = subtitle
        self.yAxisLabel = yAxisLabel
        self.xAxisLabel = xAxisLabel
        self.bars = bars
        self.barSeriesName = barSeriesName
    }

    static let width = 1100.0, height = 520.0
    static let left = 80.0, right = 30.0, top = 78.0, bottom = 90.0

    public var svg: String {
        let plotWidth = Self.width - Self.left - Self.right
        let plotHeight = Self.height - Self.top - Self.bottom
        let lineValues = (line ?? []).compactMap { $0 }
        let maximum = max(bars.map(\.value).max() ?? 0, lineValues.max() ?? 0)
        let ticks = Self.ticks(upTo: maximum)
        let top = ticks.last ?? 1
        func y(_ value: Double) -> Double { Self.top + plotHeight * (1 - value / top) }
        let slot = bars.isEmpty ? plotWidth : plotWidth / Double(bars.count)
        let barWidth = max(0.5, slot * 0.8)
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(Self.width))" height="\(Int(Self.height))" \
            viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
            <title>\(escape(title))</title>
            <rect width="100%" height="100%" fill="#ffffff"/>
            <text x="\(f(Self.width / 2))" y="28" text-anchor="middle" font-size="18" font-weight="bold">\(escape(title))</text>
            <text x="\(f(Self.width / 2))" y="50" text-anchor="middle" font-size="13" fill="#444444">\(escape(subtitle))</text>

            """
        // Grid lines and y ticks.
        out += "<g stroke=\"#e3e3e3\" stroke-width=\"1\">\n"
        for tick in ticks { out += "<line x1=\"\(f(Self.left))\" y1=\"\(f(y(tick)))\" x2=\"\(f(Self.left + plotWidth))\" y2=\"\(f(y(tick)))\"/>\n" }
        out += "</g>\n<g text-anchor=\"end\" fill=\"#333333\">\n"
        for tick in ticks { out += "<text x=\"\(f(Self.left - 8))\" y=\"\(f(y(tick) + 4))\">\(Self.tickText(tick))</text>\n" }
        out += "</g>\n"
        // Bars.
        out += "<g fill=\"#4a7ab7\">\n"
        for (index, bar) in bars.enumerated() where bar.value > 0 {
            let x = Self.left + slot * Double(index) + (slot - barWidth) / 2
            let fill = index == highlighted ? " fill=\"#d9534f\"" : ""
            out += "<rect x=\"\(f(x))\" y=\"\(f(y(bar.value)))\" width=\"\(f(barWidth))\" height=\"\(f(y(0) - y(bar.value)))\"\(fill)>"
                + "<title>\(escape(bar.label)): \(Self.valueText(bar.value))</title></rect>\n"
        }
        out += "</g>\n"
        // The line series.
        if let line {
            var path = ""
            var pen = false
            for (index, value) in line.enumerated() {
                guard let value else { pen = false; continue }
                let x = Self.left + slot * (Double(index) + 0.5)
                path += (pen ? " L" : " M") + "\(f(x)) \(f(y(value)))"
                pen = true
            }
            if !path.isEmpty { out += "<path d=\"\(path.dropFirst())\" fill=\"none\" stroke=\"#f0ad4e\" stroke-width=\"2\"/>\n" }
        }
        // Axes.
        out += """
            <g stroke="#333333" stroke-width="1.2">
            <line x1="\(f(Self.left))" y1="\(f(Self.top))" x2="\(f(Self.left))" y2="\(f(y(0)))"/>
            <line x1="\(f(Self.left))" y1="\(f(y(0)))" x2="\(f(Self.left + plotWidth))" y2="\(f(y(0)))"/>
            </g>

            """
        // X labels: as many as fit side by side (about 6.5 px a character at 12 px), evenly spaced,
        // each under a tick mark.
        let longest = Double(bars.map(\.label.count).max() ?? 1)
        let fitting = max(1, Int(plotWidth / (longest * 6.5 + 16)))
        let step = max(1, Int((Double(bars.count) / Double(fitting)).rounded(.up)))
        out += "<g fill=\"#333333\" text-anchor=\"middle\">\n"
        for index in stride(from: 0, to: bars.count, by: step) {
            let x = Self.left + slot * (Double(index) + 0.5)
            out += "<line x1=\"\(f(x))\" y1=\"\(f(y(0)))\" x2=\"\(f(x))\" y2=\"\(f(y(0) + 5))\" stroke=\"#333333\"/>"
                + "<text x=\"\(f(x))\" y=\"\(f(y(0) + 19))\">\(escape(bars[index].label))</text>\n"
        }
        out += "</g>\n"
        out += "<text x=\"\(f(Self.left + plotWidth / 2))\" y=\"\(f(Self.height - 40))\" text-anchor=\"middle\" fill=\"#333333\">\(escape(xAxisLabel))</text>\n"
        out += "<text transform=\"translate(22 \(f(Self.top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" fill=\"#333333\">\(escape(yAxisLabel))</text>\n"
        // The highlighted bar's note, and the legend.
        if let highlighted, bars.indices.contains(highlighted) {
            let x = Self.left + slot * (Double(highlighted) + 0.5)
            let anchor = x > Self.left + plotWidth * 0.75 ? "end" : x < Self.left + plotWidth * 0.25 ? "start" : "middle"
            out += "<text x=\"\(f(x))\" y=\"\(f(max(Self.top - 8, y(bars[highlighted].value) - 8)))\" text-anchor=\"\(anchor)\" fill=\"#b52b27\" "
                + "font-weight=\"bold\">▼ \(escape(highlightNote))</text>\n"
        }
        var legendX = Self.left
        let legendY = Self.height - 18
        out += "<rect x=\"\(f(legendX))\" y=\"\(f(legendY - 10))\" width=\"12\" height=\"12\" fill=\"#4a7ab7\"/>"
            + "<text x=\"\(f(legendX + 18))\" y=\"\(f(legendY))\">\(escape(barSeriesName))</text>\n"
        legendX += 30 + Double(barSeriesName.count) * 7
        if highlighted != nil {
            out += "<rect x=\"\(f(legendX))\" y=\"\(f(legendY - 10))\" width=\"12\" height=\"12\" fill=\"#d9534f\"/>"
                + "<text x=\"\(f(legendX + 18))\" y=\"\(f(legendY))\">\(escape(highlightNote.isEmpty ? "highlighted" : "busiest"))</text>\n"
            legendX += 90
        }
        if line != nil {
            out += "<line x1=\"\(f(legendX))\" y1=\"\(f(legendY - 4))\" x2=\"\(f(legendX + 14))\" y2=\"\(f(legendY - 4))\" stroke=\"#f0ad4e\" stroke-width=\"2\"/>"
                + "<text x=\"\(f(legendX + 20))\" y=\"\(f(legendY))\">\(escape(lineSeriesName))</text>\n"
        }
        out += "</svg>\n"
        return out
    }

    /// Round ticks (1, 2 or 5 × 10^k apart) from 0 past `maximum`, five to ten of them.
    static func ticks(upTo maximum: Double) -> [Double] {
        guard maximum > 0, maximum.isFinite else { return [0, 1] }
        let rough = maximum / 5
        var magnitude = 1.0
        while magnitude * 10 <= rough { magnitude *= 10 }
        while magnitude > rough { magnitude /= 10 }
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? magnitude * 10
        var ticks: [Double] = []
        var value = 0.0
        while value < maximum + step * 0.999 && ticks.count < 30 {
            ticks.append(value)
            value += step
        }
        return ticks
    }

    static func tickText(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : valueText(value)
    }

    static func valueText(_ value: Double) -> String {
        let scaled = (value * 100).rounded() / 100
        return scaled == scaled.rounded() ? String(Int(scaled)) : String(scaled)
    }
}

private func f(_ value: Double) -> String {
    let rounded = (value * 10).rounded() / 10
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
}

/// XML text and attribute escaping.
func escape(_ text: String) -> String {
    var out = ""
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        // XML 1.0 has no place for C0 controls other than tab, newline and CR, not even as references:
        // one in a tenant name would make the whole chart not well-formed. They show as U+FFFD.
        case let c where c.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r" }): out += "\u{FFFD}"
        default: out.append(character)
        }
    }
    return out
}
