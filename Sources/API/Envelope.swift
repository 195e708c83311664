import Hummingbird

/// The Context0 API's success envelope: `{"success": true, "message": …, "data": …}`.
enum Envelope {
    static func make(_ status: HTTPResponse.Status = .ok, message: String, data: Any) throws -> Response {
        try JSONResponse.make(status, ["success": true, "message": message, "data": data])
    }
}
