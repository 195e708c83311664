import Foundation
import Hummingbird

/// The OpenAPI 3.1 description of what this server really serves, at `/api/v1/openapi.json`.
///
/// It is a JSON file beside this one (`openapi.json`, a package resource), written by hand
/// and read as it stands: an OpenAPI document is data that readers, fuzzers (`make fuzz`)
/// and client generators take whole, and a reviewer reads a change to it best as a change
/// to that data. `OpenAPIRouteTests` holds it to the live routes (every operation exists and
/// answers as documented) and Schemathesis (`scripts/fuzz.sh`) holds the answers to its
/// schemas.
enum OpenAPIDocument {
    /// The document's bytes; loaded once.
    static let data: Data = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            preconditionFailure("openapi.json is missing from the API module's resources")
        }
        return data
    }()

    static func response() -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: .init(bytes: data)))
    }
}
