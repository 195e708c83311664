import Foundation

/// Rate limits count requests in clock-hour windows, so a test that spends a small budget and
/// expects the next request refused would see a fresh budget if an hour began in between.
/// When the next hour is less than `margin` away, this waits until it has begun; a test then
/// has at least an hour less the margin before its window ends.
public func awaitWholeRateWindow(margin: TimeInterval = 120) async throws {
    let untilNextHour = 3600 - Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 3600)
    guard untilNextHour < margin else { return }
    try await Task.sleep(for: .seconds(untilNextHour + 1))
}
