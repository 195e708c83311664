/// The error bodies of the APIs.
enum ErrorBodies {
    /// The Context API's: `{"response": message, "error": code}`.
    struct Context: Encodable, Sendable {
        let response: String
        let error: String
    }

    /// The Context0 API's: `{"success": false, "message", "error": {"code", "details", "field"?}}`.
    struct Context0: Encodable, Sendable {
        let success = false
        let message: String
        let error: Detail
    }

    /// What went wrong, also each failed operation's `error` in a memory batch.
    struct Detail: Encodable, Sendable {
        let code: String
        let details: String
        /// Only when one field is to blame.
        var field: String?

        init(_ error: APIError) {
            code = error.code.rawValue
            details = error.message
            field = error.field
        }
    }

    /// mem0's (its clients read `detail`): `{"detail": message, "code", "field"?}`.
    struct Mem0: Encodable, Sendable {
        let detail: String
        let code: String
        var field: String?

        init(_ error: APIError) {
            detail = error.message
            code = error.code.rawValue
            field = error.field
        }
    }
}
