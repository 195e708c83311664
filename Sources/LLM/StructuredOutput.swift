import Foundation

/// Turning a model's reply into a validated value: finding the JSON object in it, decoding it,
/// and describing what was wrong in words a model can act on.
enum StructuredOutput {
    /// Requests per structured call: the first, and one corrective retry.
    static let maxAttempts = 2

    /// Why a reply was not accepted, phrased for the corrective message.
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// The user message that asks the model to fix its previous reply.
    static func correction(for problem: String) -> String {
        "Your previous reply was not valid JSON for the schema: \(problem). Reply with only the JSON object."
    }

    /// `messages`, with a closing system instruction added when none of them mentions JSON:
    /// OpenAI refuses `json_object` requests whose messages never say "JSON".
    static func mentioningJSON(_ messages: [ChatMessage]) -> [ChatMessage] {
        if messages.contains(where: { $0.content.range(of: "json", options: .caseInsensitive) != nil }) {
            return messages
        }
        return messages + [.system("Reply with only a JSON object.")]
    }

    /// Extracts the JSON object in `reply`, decodes it into `T` and validates it.
    /// - Throws: `Problem` saying what was wrong.
    static func decode<T: Decodable>(_ type: T.Type, from reply: String, validate: (T) throws -> Void) throws -> T {
        guard let json = JSONExtraction.object(in: reply) else {
            throw Problem(description: reply.isEmpty ? "the reply was empty" : "the reply contains no JSON object")
        }
        let value: T
        do {
            value = try JSONDecoder().decode(T.self, from: json)
        } catch {
            throw Problem(description: describe(error))
        }
        do {
            try validate(value)
        } catch {
            throw Problem(description: "the value is invalid: \(error)")
        }
        return value
    }

    /// A short description of a decoding error naming the key path, e.g. `missing key "facts[0].text"`.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing key \"\(path(context.codingPath + [key]))\""
        case .typeMismatch(let type, let context):
            return "wrong type at \"\(path(context.codingPath))\": expected \(type)"
        case .valueNotFound(let type, let context):
            return "null at \"\(path(context.codingPath))\": expected \(type)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "the reply is not valid JSON"
                : "invalid value at \"\(path(context.codingPath))\": \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? "(top level)" : text
    }
}
