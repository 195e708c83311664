import Foundation
import TestSupport
import Testing

/// An offline answer is a whole sentence of the source: a title's period does not cut it.
extension OfflineMemoryAPI {
    @Suite struct SentenceAnswers {
        @Test func anOfflineAnswerKeepsASentenceWithATitleWhole() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            _ = try await server.createEnriched(token, ["My dentist appointment with Dr. Okafor is on Tuesday at 3pm."])
            let asked = try server.data(try await server.post("/qa/ask", token: token, ["question": "When is my dentist appointment?"]), 200, "ask")
            #expect(asked["answer"]?.string == "My dentist appointment with Dr. Okafor is on Tuesday at 3pm.", "\(asked)")
        }
    }
}
