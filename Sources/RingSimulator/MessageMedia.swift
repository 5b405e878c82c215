/// Small, structurally valid documents and images for fax and MMS attachments: each starts with its
/// format's magic bytes (PDF `%PDF-1.4`, TIFF `II*\0`, JPEG `FF D8 FF`, PNG, `GIF89a`, MP4 `ftyp`) and
/// names the attachment id inside, so bytes are a pure function of the id (and two ids never share
/// bytes, which a sha256 check relies on).
enum MessageMedia {
    // MARK: PDF

    /// PDF 1.4 with `pages` pages, each a line of Helvetica text, with a correct xref table.
    static func pdf(id: String, pages: Int, title: String) -> [UInt8] {
        let pageCount = max(1, pages)
        // Objects: 1 catalog, 2 page tree, 3 font, 4 info, then per page: page, content stream.
        var objects: [String] = []
        let kids = (0..<pageCount).map { "\(5 + 2 * $0) 0 R" }.joined(separator: " ")
        objects.append("<< /Type /Catalog /Pages 2 0 R >>")
        objects.append("<< /Type /Pages /Kids [\(kids)] /Count \(pageCount) >>")
        objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
        objects.append("<< /Producer (ringlog-simulator) /Title (\(pdfEscape(title))) /Subject (attachment \(id)) >>")
        for page in 0..<pageCount {
            objects.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents \(6 + 2 * page) 0 R >>")
            let text = "BT /F1 12 Tf 72 720 Td (\(pdfEscape(title)) - page \(page + 1) of \(pageCount) - \(id)) Tj ET"
            objects.append("<< /Length \(text.utf8.count) >>\nstream\n\(text)\nendstream")
        }
        var bytes: [UInt8] = Array("%PDF-1.4\n".utf8) + [0x25, 0xE2, 0xE3, 0xCF, 0xD3, 0x0A]  // binary comment line
        var offsets: [Int] = []
        for (index, body) in objects.enumerated() {
            offsets.append(bytes.count)
            bytes += Array("\(index + 1) 0 obj\n\(body)\nendobj\n".utf8)
        }
        let xref = bytes.count
        var table = "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { table += String(String(offset + 10_000_000_000).dropFirst()) + " 00000 n \n" }
        table += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R /Info 4 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return bytes + Array(table.utf8)
    }

    private static func pdfEscape(_ text: String) -> String {
        String(text.flatMap { character -> [Character] in
            switch character {
            case "(", ")", "\\": ["\\", character]
            default: character.isASCII ? [character] : ["?"]
            }
        })
    }

    // MARK: TIFF

    /// A little-endian multi-page TIFF as fax machines produce: one bilevel (1 bit per pixel,
    /// uncompressed) page per IFD, chained, each with PageNumber and the fax resolution (204 dpi
    /// across; 196 dpi down for High, 98 for Low).
    static func tiff(id: String, pages: Int, highResolution: Bool) -> [UInt8] {
        let pageCount = max(1, pages)
        let width = 64, height = highResolution ? 48 : 24
        let rowBytes = width / 8
        var random = SeededRandom(seed: MediaBytes.fnv1a("tiff " + id))
        var bytes: [UInt8] = [0x49, 0x49, 0x2A, 0x00] + le32(8)  // "II*\0", first IFD at 8
        let description = Array("ringlog-simulator fax \(id)".utf8) + [0]
        for page in 0..<pageCount {
            // Layout per page: IFD (2 + 14*12 + 4), then XResolution, YResolution, description, strip.
            let ifdStart = bytes.count
            let entryCount = 14
            let ifdSize = 2 + entryCount * 12 + 4
            let xResolution = ifdStart + ifdSize
            let yResolution = xResolution + 8
            let descriptionOffset = yResolution + 8
            let stripOffset = descriptionOffset + description.count + (description.count % 2)
            let stripSize = rowBytes * height
            let next = page == pageCount - 1 ? 0 : stripOffset + stripSize + (stripSize % 2)
            func entry(_ tag: UInt16, _ type: UInt16, _ count: UInt32, _ value: UInt32) -> [UInt8] {
                le16(tag) + le16(type) + le32(count) + le32(value)
            }
            let short: UInt16 = 3, long: UInt16 = 4, rational: UInt16 = 5, ascii: UInt16 = 2
            var ifd = le16(UInt16(entryCount))
            ifd += entry(254, long, 1, 2)  // NewSubfileType: one page of a multi-page document
            ifd += entry(256, short, 1, UInt32(width))
            ifd += entry(257, short, 1, UInt32(height))
            ifd += entry(258, short, 1, 1)  // BitsPerSample
            ifd += entry(259, short, 1, 1)  // Compression: none
            ifd += entry(262, short, 1, 0)  // Photometric: WhiteIsZero (fax)
            ifd += entry(270, ascii, UInt32(description.count), UInt32(descriptionOffset))
            ifd += entry(273, long, 1, UInt32(stripOffset))
            ifd += entry(277, short, 1, 1)  // SamplesPerPixel
            ifd += entry(278, short, 1, UInt32(height))  // RowsPerStrip
            ifd += entry(279, long, 1, UInt32(stripSize))
            ifd += entry(282, rational, 1, UInt32(xResolution))
            ifd += entry(283, rational, 1, UInt32(yResolution))
            ifd += entry(297, short, 2, UInt32(page) | UInt32(pageCount) << 16)  // PageNumber: page, total
            ifd += le32(UInt32(next))
            bytes += ifd
            bytes += le32(204) + le32(1)
            bytes += le32(highResolution ? 196 : 98) + le32(1)
            bytes += description
            if description.count % 2 == 1 { bytes.append(0) }
            for row in 0..<height {
                for column in 0..<rowBytes {
                    // A few dark "text" lines on white, varied by the id.
                    let ink = row % 6 < 2 && column > 0 && column < rowBytes - 1
                    bytes.append(ink ? UInt8(truncatingIfNeeded: random.next()) : 0)
                }
            }
            if stripSize % 2 == 1 { bytes.append(0) }
        }
        return bytes
    }

    // MARK: Images and video

    /// Baseline JFIF JPEG, grayscale, `width`x`height` (multiples of 8), mid-grey: each 8x8 block is a
    /// zero DC difference and an end-of-block, with one-symbol Huffman tables. A COM segment names the id.
    static func jpeg(id: String, width: Int = 16, height: Int = 16) -> [UInt8] {
        var bytes: [UInt8] = [0xFF, 0xD8]
        bytes += [0xFF, 0xE0] + be16(16) + Array("JFIF".utf8) + [0, 1, 1, 0] + be16(72) + be16(72) + [0, 0]
        let comment = Array("ringlog-simulator mms \(id)".utf8)
        bytes += [0xFF, 0xFE] + be16(UInt16(comment.count + 2)) + comment
        bytes += [0xFF, 0xDB] + be16(67) + [0x00] + [UInt8](repeating: 1, count: 64)  // DQT table 0, all ones
        bytes += [0xFF, 0xC0] + be16(11) + [8] + be16(UInt16(height)) + be16(UInt16(width)) + [1, 1, 0x11, 0]
        let oneCodeOfLengthOne: [UInt8] = [1] + [UInt8](repeating: 0, count: 15)
        bytes += [0xFF, 0xC4] + be16(20) + [0x00] + oneCodeOfLengthOne + [0x00]  // DC table 0: category 0
        bytes += [0xFF, 0xC4] + be16(20) + [0x10] + oneCodeOfLengthOne + [0x00]  // AC table 0: EOB
        bytes += [0xFF, 0xDA] + be16(8) + [1, 1, 0x00, 0, 63, 0]
        let blocks = (width / 8) * (height / 8)
        let bits = blocks * 2  // "0" (DC diff 0) + "0" (EOB) per block
        let dataBytes = (bits + 7) / 8
        bytes += [UInt8](repeating: 0, count: dataBytes - 1)
        bytes.append(bits % 8 == 0 ? 0 : UInt8(0xFF >> (bits % 8)))  // pad the last byte with 1 bits
        return bytes + [0xFF, 0xD9]
    }

    /// PNG, 8-bit RGB, `width`x`height`, a gradient tinted by the id, stored (uncompressed) deflate
    /// blocks, with a tEXt chunk naming the id.
    static func png(id: String, width: Int = 12, height: Int = 8) -> [UInt8] {
        let tint = MediaBytes.fnv1a("png " + id)
        var raw: [UInt8] = []
        for row in 0..<height {
            raw.append(0)  // filter: none
            for column in 0..<width {
                raw += [UInt8(truncatingIfNeeded: tint &+ UInt64(column * 20)), UInt8(truncatingIfNeeded: (tint >> 8) &+ UInt64(row * 30)),
                        UInt8(truncatingIfNeeded: tint >> 16)]
            }
        }
        // zlib: header, one stored block (raw is far below 65535 bytes), Adler-32.
        var zlib: [UInt8] = [0x78, 0x01, 0x01] + le16(UInt16(raw.count)) + le16(~UInt16(raw.count)) + raw
        zlib += be32(adler32(raw))
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + data
            return be32(UInt32(data.count)) + typed + be32(crc32(typed))
        }
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        bytes += chunk("IHDR", be32(UInt32(width)) + be32(UInt32(height)) + [8, 2, 0, 0, 0])
        bytes += chunk("tEXt", Array("Comment".utf8) + [0] + Array("ringlog-simulator mms \(id)".utf8))
        bytes += chunk("IDAT", zlib)
        bytes += chunk("IEND", [])
        return bytes
    }

    /// GIF89a, 1x1, with a comment extension naming the id (the classic smallest GIF, plus the comment).
    static func gif(id: String) -> [UInt8] {
        let tint = MediaBytes.fnv1a("gif " + id)
        var bytes: [UInt8] = Array("GIF89a".utf8) + le16(1) + le16(1) + [0x80, 0, 0]
        bytes += [UInt8(truncatingIfNeeded: tint), UInt8(truncatingIfNeeded: tint >> 8), UInt8(truncatingIfNeeded: tint >> 16), 0, 0, 0]
        let comment = Array("ringlog-simulator mms \(id)".utf8.prefix(255))
        bytes += [0x21, 0xFE, UInt8(comment.count)] + comment + [0]
        bytes += [0x2C] + le16(0) + le16(0) + le16(1) + le16(1) + [0]
        bytes += [0x02, 0x02, 0x44, 0x01, 0x00]  // LZW min code size 2, one sub-block: the pixel, end
        return bytes + [0x3B]
    }

    /// An ISO base media (MP4) file: `ftyp` (isom), `moov` with an `mvhd` of the duration, and an
    /// `mdat` of bytes drawn from the id.
    static func mp4(id: String, seconds: Int) -> [UInt8] {
        func box(_ type: String, _ payload: [UInt8]) -> [UInt8] { be32(UInt32(8 + payload.count)) + Array(type.utf8) + payload }
        let ftyp = box("ftyp", Array("isom".utf8) + be32(512) + Array("isomiso2avc1mp41".utf8))
        var mvhd: [UInt8] = [0, 0, 0, 0] + be32(0) + be32(0) + be32(1000) + be32(UInt32(max(1, seconds) * 1000))
        mvhd += be32(0x0001_0000) + be16(0x0100) + [UInt8](repeating: 0, count: 10)
        mvhd += be32(0x0001_0000) + be32(0) + be32(0) + be32(0) + be32(0x0001_0000) + be32(0) + be32(0) + be32(0) + be32(0x4000_0000)
        mvhd += [UInt8](repeating: 0, count: 24) + be32(2)
        let udta = box("udta", box("name", Array("ringlog-simulator mms \(id)".utf8)))
        let moov = box("moov", box("mvhd", mvhd) + udta)
        var random = SeededRandom(seed: MediaBytes.fnv1a("mp4 " + id))
        let media = (0..<(256 + min(seconds, 30) * 32)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        return ftyp + moov + box("mdat", media)
    }

    /// A vCard: the content of the simulator's attachment of a type the spec does not list.
    static func vcard(id: String, name: String) -> [UInt8] {
        Array("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:\(name)\r\nNOTE:ringlog-simulator \(id)\r\nEND:VCARD\r\n".utf8)
    }

    // MARK: Checksums and integers

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return b << 16 | a
    }

    static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    static func le32(_ value: UInt32) -> [UInt8] { [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: value >> $0) } }
    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    static func be32(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }
}
