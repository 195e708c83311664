import Auth
import Core

/// Which stores' content a token may see in an answer (chat's `memories_used` and
/// `context_used`, Q&A's citations): `chat` and `qa` let an answer draw on the user's
/// memories and context, but their text is shown only with the read scopes, ids otherwise.
struct ReadableStores {
    var memories: Bool
    var context: Bool

    init(_ caller: Identity) {
        memories = caller.has(.memoriesRead)
        context = caller.has(.contextRead)
    }
}

extension Identity {
    /// Whose data the caller's requests read and write by default: their own, in their
    /// organization when the token names one.
    var tenant: Tenant { Tenant(userID: userID, organizationID: organizationID) }
}
