import Foundation

/// Finds the JSON object in a model's reply, which may wrap it in a ```` ```json ```` fence or
/// in prose ("Here is the result: {…} Hope this helps").
enum JSONExtraction {
    /// Candidate objects tried before giving up, so pathological replies stay cheap.
    private static let maxCandidates = 32

    /// The bytes of the first balanced `{…}` that parses as JSON, looking inside the first
    /// fenced block before the whole reply; nil when there is none.
    static func object(in reply: String) -> Data? {
        if let fenced = fencedBlock(in: reply), let object = firstObject(in: Array(fenced.utf8)) {
            return object
        }
        return firstObject(in: Array(reply.utf8))
    }

    /// The content of the first ```` ``` ```` block, without its language tag.
    static func fencedBlock(in reply: String) -> Substring? {
        guard let open = reply.range(of: "```") else { return nil }
        var start = open.upperBound
        if let lineEnd = reply[start...].firstIndex(of: "\n") {
            let tag = reply[start..<lineEnd].trimmingCharacters(in: .whitespaces)
            if tag.allSatisfy({ $0.isLetter }) { start = reply.index(after: lineEnd) }
        }
        let end = reply[start...].range(of: "```")?.lowerBound ?? reply.endIndex
        return reply[start..<end]
    }

    private static func firstObject(in bytes: [UInt8]) -> Data? {
        var candidates = 0
        var index = 0
        while index < bytes.count, candidates < maxCandidates {
            guard bytes[index] == UInt8(ascii: "{") else {
                index += 1
                continue
            }
            candidates += 1
            if let end = balancedEnd(in: bytes, from: index) {
                let data = Data(bytes[index...end])
                if (try? JSONSerialization.jsonObject(with: data)) is [String: Any] { return data }
            }
            index += 1
        }
        return nil
    }

    /// The index of the `}` closing the `{` at `start`, skipping braces inside strings.
    private static func balancedEnd(in bytes: [UInt8], from start: Int) -> Int? {
        var depth = 0
        var inString = false
        var escaped = false
        for index in start..<bytes.count {
            let byte = bytes[index]
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 { return index }
            default: break
            }
        }
        return nil
    }
}
