import Foundation

/// A calendar month in UTC: the billing period.
public struct BillingPeriod: Sendable, Equatable {
    public var start: Date
    public var end: Date

    /// The period holding `date`.
    public init(containing date: Date) {
        let calendar = Self.calendar
        start = calendar.date(from: calendar.dateComponents([.year, .month], from: date))!
        end = calendar.date(byAdding: .month, value: 1, to: start)!
    }

    /// The period just before this one.
    public var previous: BillingPeriod { BillingPeriod(containing: start.addingTimeInterval(-1)) }

    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}

/// A closed period: what the user used and owes.
public struct ClosedBillingPeriod: Sendable, Equatable {
    public var period: BillingPeriod
    public var plan: String
    /// JSON array of the lines: `[{metric, quantity, included, overage, unit_price_cents, amount_cents}]`.
    public var lineItems: String
    public var basePriceCents: Int
    public var totalCents: Int
    public var closedAt: Date
}
