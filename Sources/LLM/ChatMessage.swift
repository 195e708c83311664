/// One message of a chat conversation, as the OpenAI chat protocol sends it.
public struct ChatMessage: Sendable, Equatable, Hashable, Codable {
    /// Who speaks: instructions (`system`), the person (`user`) or the model (`assistant`).
    public enum Role: String, Sendable, Equatable, Hashable, Codable {
        case system
        case user
        case assistant
    }

    public var role: Role
    public var content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }

    /// Instructions for the model.
    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: .system, content: content) }
    /// What the person says.
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: .user, content: content) }
    /// What the model said earlier.
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: .assistant, content: content) }
}
