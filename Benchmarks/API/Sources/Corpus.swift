import BenchmarkSupport
import Foundation

/// A small deterministic pseudo-random generator (SplitMix64), so every run loads the same text.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Synthetic but English-shaped text for the benchmark: sentences about a dozen workplace
/// topics, each sentence naming two less common words drawn Zipf-like from the model's own
/// vocabulary (so full-text terms have a realistic spread of frequencies, not a tiny
/// vocabulary where every query matches thousands of chunks).
///
/// Chunks are 11–14 sentences (~1 KB, ~200 tokens, close to the 254-token chunks the
/// ingest job makes), mostly from one topic. Queries are either *specific* (the subject,
/// object and a rare word of one pool sentence, reworded as a question: a few hundred
/// chunks contain all its terms) or *generic* (an object and a qualifier of a topic: thousands do).
struct Corpus: Sendable {
    struct Topic: Sendable {
        var subjects: [String]
        var verbs: [String]
        var objects: [String]
        var qualifiers: [String]
    }

    struct Sentence: Sendable {
        var topic: Int
        var subject: String
        var object: String
        var qualifier: String
        var rare: String
        var text: String
    }

    let sentences: [Sentence]
    /// Indices into `sentences`, by topic.
    let byTopic: [[Int]]
    let fillerWords: [String]

    /// - Parameters:
    ///   - poolSize: distinct sentences (they are embedded for real; chunks reuse them).
    ///   - vocabularyFile: the model's `vocab.txt`, whose whole words (in BERT's rough
    ///     frequency order) supply the less common words.
    init(poolSize: Int, vocabularyFile: String, seed: UInt64 = 42) throws {
        let vocabulary = try String(contentsOfFile: vocabularyFile, encoding: .utf8)
        let words = vocabulary.split(separator: "\n").map(String.init).filter { word in
            (4...12).contains(word.count) && word.allSatisfy { ("a"..."z").contains($0) }
        }
        // Skip the most common few hundred (function words and the like).
        fillerWords = Array(words.dropFirst(min(300, words.count / 2)))
        var random = SplitMix64(seed: seed)
        var sentences = [Sentence]()
        var seen = Set<String>()
        var byTopic = [[Int]](repeating: [], count: Self.topics.count)
        var attempts = 0
        while sentences.count < poolSize, attempts < poolSize * 20 {
            attempts += 1
            let topicIndex = sentences.count % Self.topics.count
            let topic = Self.topics[topicIndex]
            let subject = topic.subjects.randomElement(using: &random)!
            let verb = topic.verbs.randomElement(using: &random)!
            let object = topic.objects.randomElement(using: &random)!
            let qualifier = topic.qualifiers.randomElement(using: &random)!
            let rare = Self.zipf(fillerWords, using: &random)
            let other = Self.zipf(fillerWords, using: &random)
            let text: String
            switch Int.random(in: 0..<4, using: &random) {
            case 0: text = "\(subject.capitalizedFirst) \(verb) \(object) \(qualifier), as noted in the \(rare) \(other) log."
            case 1: text = "\(subject.capitalizedFirst) \(verb) \(object) for the \(rare) \(other) project."
            case 2: text = "In the \(rare) review, \(subject) \(verb) \(object) \(qualifier)."
            default: text = "\(subject.capitalizedFirst) \(verb) \(object) after the \(rare) incident with \(other)."
            }
            guard seen.insert(text).inserted else { continue }
            byTopic[topicIndex].append(sentences.count)
            sentences.append(Sentence(topic: topicIndex, subject: subject, object: object, qualifier: qualifier, rare: rare, text: text))
        }
        self.sentences = sentences
        self.byTopic = byTopic
    }

    /// A word drawn with probability about proportional to 1 / rank.
    static func zipf(_ words: [String], using random: inout SplitMix64) -> String {
        let u = Double.random(in: 0..<1, using: &random)
        let rank = Int(exp(u * log(Double(words.count)))) - 1
        return words[min(max(rank, 0), words.count - 1)]
    }

    /// The sentence indices of one chunk: 11–14 sentences, ~85% from `topic`.
    func chunk(topic: Int, using random: inout SplitMix64) -> [Int] {
        let count = Int.random(in: 11...14, using: &random)
        return (0..<count).map { _ in
            let t = Double.random(in: 0..<1, using: &random) < 0.85 ? topic : Int.random(in: 0..<byTopic.count, using: &random)
            return byTopic[t].randomElement(using: &random)!
        }
    }

    func text(of chunk: [Int]) -> String {
        chunk.map { sentences[$0].text }.joined(separator: " ")
    }

    /// `count` search queries, three specific for every generic one, cycling over topics.
    func queries(_ count: Int, seed: UInt64 = 7) -> [String] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { index in
            let topic = index % byTopic.count
            let sentence = sentences[byTopic[topic].randomElement(using: &random)!]
            if index % 4 == 3 {
                return "\(sentence.object) \(sentence.qualifier)"
            }
            switch index % 3 {
            case 0: return "What did \(sentence.subject) do about \(sentence.object) in the \(sentence.rare) work?"
            case 1: return "\(sentence.object.capitalizedFirst) and \(sentence.subject), \(sentence.rare)"
            default: return "how are \(sentence.object) handled by \(sentence.subject) for \(sentence.rare)"
            }
        }
    }

    /// A document of about `bytes` UTF-8 bytes: `lead` first, then pool sentences.
    func document(bytes: Int, lead: String, using random: inout SplitMix64) -> String {
        let topic = Int.random(in: 0..<byTopic.count, using: &random)
        var text = lead
        while text.utf8.count < bytes {
            let sentence = sentences[byTopic[topic].randomElement(using: &random)!].text
            if text.utf8.count + 1 + sentence.utf8.count > bytes {
                let room = bytes - text.utf8.count - 1
                if room > 0 { text += " " + String(repeating: "x", count: room) }
                break
            }
            text += " " + sentence
        }
        return text
    }

    static let topics: [Topic] = [
        Topic(subjects: ["the billing team", "finance", "the payments service", "our accountant", "the revenue analyst", "the invoicing job"],
              verbs: ["reconciles", "refunds", "audits", "prorates", "reviews", "exports"],
              objects: ["annual invoices", "card payments", "failed charges", "tax receipts", "subscription upgrades", "credit notes", "usage overages", "currency conversions"],
              qualifiers: ["at the end of each month", "before the quarterly close", "for enterprise customers", "within two business days", "when the card expires", "in the European region"]),
        Topic(subjects: ["the platform team", "the release manager", "our deploy pipeline", "the on-call engineer", "the build farm", "the canary controller"],
              verbs: ["rolls back", "promotes", "pins", "rebuilds", "staggers", "approves"],
              objects: ["container images", "blue green deployments", "feature flags", "release branches", "helm charts", "database migrations", "load balancer rules", "service configs"],
              qualifiers: ["during the freeze window", "after the smoke tests pass", "across three availability zones", "on Friday afternoons", "with manual approval", "behind a feature flag"]),
        Topic(subjects: ["the database administrator", "the storage team", "postgres", "the replication monitor", "the backup job", "the query planner"],
              verbs: ["vacuums", "partitions", "replicates", "indexes", "snapshots", "compresses"],
              objects: ["the orders table", "write ahead logs", "read replicas", "slow queries", "nightly backups", "foreign keys", "connection pools", "archived partitions"],
              qualifiers: ["every six hours", "before peak traffic", "with point in time recovery", "on the standby server", "to cut storage costs", "without locking writes"]),
        Topic(subjects: ["the security team", "our identity provider", "the compliance officer", "the intrusion detector", "the key service", "the red team"],
              verbs: ["rotates", "revokes", "scans", "encrypts", "flags", "audits"],
              objects: ["api keys", "signing certificates", "admin sessions", "password resets", "access tokens", "firewall rules", "vendor laptops", "two factor enrollments"],
              qualifiers: ["every ninety days", "after an employee leaves", "under the SOC 2 policy", "when anomalies appear", "for privileged accounts", "during the annual pentest"]),
        Topic(subjects: ["the mobile team", "the iOS app", "the Android client", "the design lead", "the push service", "the crash reporter"],
              verbs: ["caches", "redesigns", "localizes", "throttles", "batches", "symbolicates"],
              objects: ["offline drafts", "push notifications", "onboarding screens", "deep links", "image thumbnails", "crash reports", "dark mode colors", "in app purchases"],
              qualifiers: ["on slow networks", "for older phones", "in the next minor release", "when the battery is low", "for right to left languages", "before app store review"]),
        Topic(subjects: ["the support agent", "customer success", "the help desk", "the escalation manager", "our chatbot", "the ticket router"],
              verbs: ["escalates", "answers", "merges", "tags", "closes", "prioritizes"],
              objects: ["refund requests", "login complaints", "duplicate tickets", "feature requests", "outage reports", "billing disputes", "account deletions", "shipping delays"],
              qualifiers: ["within four hours", "for premium accounts", "after a customer survey", "using saved replies", "during holiday peaks", "in the weekly triage"]),
        Topic(subjects: ["the data engineer", "the ingestion pipeline", "the warehouse loader", "the stream processor", "the analytics team", "the scheduler"],
              verbs: ["deduplicates", "backfills", "aggregates", "validates", "transforms", "streams"],
              objects: ["clickstream events", "parquet files", "late arriving records", "daily aggregates", "schema changes", "kafka topics", "dimension tables", "sensor readings"],
              qualifiers: ["in hourly batches", "with exactly once semantics", "before the dashboards refresh", "after upstream outages", "with strict schema checks", "for the finance reports"]),
        Topic(subjects: ["the search team", "the ranking model", "the relevance engineer", "the indexer", "the query parser", "the autocomplete service"],
              verbs: ["reranks", "boosts", "tokenizes", "reindexes", "evaluates", "embeds"],
              objects: ["product listings", "misspelled queries", "synonym lists", "vector indexes", "click logs", "title fields", "long tail queries", "stale documents"],
              qualifiers: ["with offline metrics", "for multilingual catalogs", "after every catalog import", "using hybrid retrieval", "under strict latency budgets", "for new users"]),
        Topic(subjects: ["the onboarding coordinator", "the new hire", "the team lead", "human resources", "the buddy program", "the IT desk"],
              verbs: ["schedules", "prepares", "assigns", "provisions", "explains", "collects"],
              objects: ["laptop setups", "welcome sessions", "benefit forms", "starter tasks", "access badges", "training modules", "payroll details", "team introductions"],
              qualifiers: ["during the first week", "before the start date", "for remote employees", "in the shared calendar", "with a checklist", "after the probation review"]),
        Topic(subjects: ["the observability team", "the alert manager", "the tracing agent", "the SRE on duty", "the metrics pipeline", "the status page"],
              verbs: ["samples", "silences", "correlates", "graphs", "pages", "retains"],
              objects: ["latency percentiles", "error budgets", "distributed traces", "noisy alerts", "log volumes", "saturation signals", "uptime checks", "incident timelines"],
              qualifiers: ["for thirty days", "during maintenance windows", "across every region", "at one minute resolution", "when the budget burns fast", "in the postmortem"]),
        Topic(subjects: ["the recruiter", "the hiring manager", "the interview panel", "the talent team", "the sourcing tool", "the offer committee"],
              verbs: ["screens", "interviews", "calibrates", "extends", "declines", "shortlists"],
              objects: ["backend candidates", "take home exercises", "salary bands", "referral bonuses", "design portfolios", "reference checks", "offer letters", "internship applications"],
              qualifiers: ["within a week", "for senior roles", "using a structured rubric", "after the onsite loop", "in the hiring sync", "with diverse panels"]),
        Topic(subjects: ["the legal team", "outside counsel", "the privacy officer", "the contracts desk", "the procurement lead", "the data protection board"],
              verbs: ["negotiates", "redlines", "approves", "archives", "renews", "reviews"],
              objects: ["vendor contracts", "data processing agreements", "privacy notices", "liability caps", "renewal clauses", "export controls", "trademark filings", "retention schedules"],
              qualifiers: ["before signature", "under GDPR", "for public sector clients", "every fiscal year", "with a standard template", "when terms change"]),
    ]
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
