import Glibc

/// Strings kept for a long time — the manifest index's sidecar paths, a run's recording homes —
/// packed one after another in one growing buffer, each named by a `Ref` (8 bytes), instead of
/// one heap allocation each.
///
/// Why: a path of 60–80 bytes is a separate malloc chunk, and those chunks, made while a page of
/// records is being archived, land among the page's short-lived ones and keep their memory pages
/// resident once the page is freed: on a 25,000-call first sync that fragmentation, not the live
/// heap, was most of the peak RSS above a small account's (issue 9, point 5).
///
/// A string is never removed: replacing one appends the new bytes (the owner's lifetime — a loaded
/// shard, one run — bounds what accumulates).
public struct PackedStrings: Sendable {
    /// Where one string is: its chunk, first byte and length.
    public struct Ref: Hashable, Sendable {
        fileprivate let chunk: UInt32
        fileprivate let start: UInt32
        fileprivate let count: UInt32
    }

    /// Fixed-size chunks, not one array grown by doubling: a doubling buffer is up to half empty,
    /// and holds the old and the new copy while it grows.
    static let chunkSize = 64 << 10
    private var chunks: [[UInt8]] = []

    public init() {}

    /// Bytes held (for tests and statistics).
    public var byteCount: Int { chunks.reduce(0) { $0 + $1.count } }

    public mutating func append(_ string: String) -> Ref {
        var string = string
        return string.withUTF8 { append(bytes: $0) }
    }

    /// Appends UTF-8 bytes (a manifest line's member, without making a String of it first).
    public mutating func append(bytes new: UnsafeBufferPointer<UInt8>) -> Ref {
        // A string longer than a chunk gets a chunk of its own.
        if chunks.isEmpty || chunks[chunks.count - 1].count + new.count > max(Self.chunkSize, chunks[chunks.count - 1].capacity) {
            var chunk: [UInt8] = []
            chunk.reserveCapacity(max(Self.chunkSize, new.count))
            chunks.append(chunk)
        }
        let last = chunks.count - 1
        let ref = Ref(chunk: UInt32(last), start: UInt32(chunks[last].count), count: UInt32(new.count))
        chunks[last].append(contentsOf: new)
        return ref
    }

    public subscript(ref: Ref) -> String {
        chunks[Int(ref.chunk)].withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[Int(ref.start)..<Int(ref.start + ref.count)]), as: UTF8.self)
        }
    }

    /// Whether the string at `ref` is `string`, byte for byte (no String made).
    public func equals(_ ref: Ref, _ string: String) -> Bool {
        var string = string
        return string.withUTF8 { other in
            chunks[Int(ref.chunk)].withUnsafeBufferPointer { buffer in
                other.count == Int(ref.count) && (other.isEmpty || memcmp(other.baseAddress!, buffer.baseAddress! + Int(ref.start), other.count) == 0)
            }
        }
    }
}

/// A map from short keys (ids, which Swift stores inline up to 15 UTF-8 bytes) to strings kept in
/// one `PackedStrings` buffer: one allocation for the table and one for the strings, however many entries.
public struct PackedStringMap: Sendable {
    private var strings = PackedStrings()
    private var refs: [String: PackedStrings.Ref] = [:]

    public init() {}

    public var count: Int { refs.count }

    public subscript(key: String) -> String? {
        get { refs[key].map { strings[$0] } }
        set {
            guard let newValue else { refs[key] = nil; return }
            if let existing = refs[key], strings.equals(existing, newValue) { return }
            refs[key] = strings.append(newValue)
        }
    }
}

/// A dictionary keyed by item ids that stores a decimal id (RingCentral's message and recording ids:
/// int64 digits, often 16 or more) as a UInt64 rather than a String: Swift keeps a String of up to
/// 15 bytes inline, and a longer one is a heap allocation per key, held as long as the map.
/// Any other id (call ids, odd ones) is kept as its String. "007" is not "7": only the canonical
/// digits of a number (no sign, no leading zero) take the numeric table.
public struct IdMap<Value: Sendable>: Sendable {
    private var numeric: [UInt64: Value] = [:]
    private var other: [String: Value] = [:]

    public init() {}

    public var count: Int { numeric.count + other.count }

    static func number(_ id: String) -> UInt64? {
        // Only where it saves an allocation (a String of 15 bytes or fewer is inline); digits only
        // (UInt64("+12") is 12), no leading zero: then the number's decimal text is `id` itself.
        guard id.utf8.count > 15, id.utf8.first != UInt8(ascii: "0"), id.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt64(id)
    }

    public subscript(id: String) -> Value? {
        get { Self.number(id).map { numeric[$0] } ?? other[id] }
        set {
            if let value = Self.number(id) { numeric[value] = newValue } else { other[id] = newValue }
        }
    }
}
