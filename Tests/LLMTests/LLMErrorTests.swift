import LLM
import Testing

/// Which failures asking again cannot help with: the client does not retry them, and jobs
/// fail for good on them.
@Suite("LLM errors")
struct LLMErrorTests {
    @Test(arguments: [400, 401, 403, 404, 413, 422, 301])
    func theServicesRefusalsAreFinal(_ status: Int) {
        #expect(LLMError.http(status: status, message: "").isFinal)
    }

    @Test(arguments: [408, 409, 429, 500, 502, 503, 504])
    func notNowAndServerErrorsAreTransient(_ status: Int) {
        #expect(LLMError.isTransient(status: status))
        #expect(!LLMError.http(status: status, message: "").isFinal)
    }

    @Test func troubleOnTheWayIsNotFinal() {
        #expect(!LLMError.timeout.isFinal)
        #expect(!LLMError.connectionFailed("refused").isFinal)
        #expect(!LLMError.invalidResponse("not JSON").isFinal)
        #expect(!LLMError.invalidStructuredOutput("no facts").isFinal)
    }
}
