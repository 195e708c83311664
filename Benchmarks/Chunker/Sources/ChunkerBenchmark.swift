import Core
import Embedding
import Foundation

/// `context0-bench-chunker`: the worker's chunker (MiniLM's WordPiece tokenizer, chunks of 254
/// tokens) on documents of the largest size the API takes, 2,000,000 characters (Unicode
/// scalars), in hostile shapes and in ordinary prose. Prints per shape, the best of `--rounds`:
///
///     RESULT bench=chunker shape=<name> chars=<scalars> seconds=<s> chunks=<n> max_tokens=<t> max_bytes=<b>
///
/// and last `CHECK bench=chunker target_seconds=1 worst_shape=<name> worst_seconds=<s> ok=yes|no`.
///
/// Usage: `context0-bench-chunker [--vocabulary FILE] [--rounds N] [--shape NAME]…`
/// (default `.deps/minilm/vocab.txt`, 3 rounds, every shape).
@main
struct ChunkerBenchmark {
    static let targetSeconds = 1.0

    static func main() throws {
        let options = try Options(Array(CommandLine.arguments.dropFirst()))
        let tokenizer = try WordPieceTokenizer(vocabularyFile: options.vocabulary)
        let chunker = TextChunker(maxTokens: 254) { tokenizer.wordPieceIDs($0).count }
        var worst: (shape: Shape, seconds: Double)?
        for shape in options.shapes {
            let text = shape.text
            var best = Double.infinity
            var chunks: [TextChunker.Chunk] = []
            for _ in 0..<options.rounds {
                let clock = ContinuousClock()
                let started = clock.now
                chunks = chunker.chunks(of: text)
                best = min(best, seconds(clock.now - started))
            }
            let maxTokens = chunks.map(\.tokenCount).max() ?? 0
            let maxBytes = chunks.map(\.text.utf8.count).max() ?? 0
            print("RESULT bench=chunker shape=\(shape.rawValue) chars=\(text.unicodeScalars.count) seconds=\(format(best))"
                + " chunks=\(chunks.count) max_tokens=\(maxTokens) max_bytes=\(maxBytes)")
            if best > worst?.seconds ?? -1 { worst = (shape, best) }
        }
        if let worst {
            print("CHECK bench=chunker target_seconds=\(format(targetSeconds)) worst_shape=\(worst.shape.rawValue)"
                + " worst_seconds=\(format(worst.seconds)) ok=\(worst.seconds < targetSeconds ? "yes" : "no")")
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    static func format(_ seconds: Double) -> String {
        String(format: "%.3f", seconds)
    }
}

/// A document of the API's largest size: one unit repeated.
enum Shape: String, CaseIterable {
    /// Paragraphs of ordinary English, for comparison.
    case prose
    /// The issue's slowest: a million words of a control character the tokenizer drops.
    case controlCharactersAndSpaces = "control-characters-and-spaces"
    /// One word of two million word pieces.
    case lettersAndDots = "letters-and-dots"
    case lettersAndCommas = "letters-and-commas"
    /// One word of two million letters (a single `[UNK]` per 100 characters or more).
    case oneWord = "one-word"
    case zeroWidthSpaces = "zero-width-spaces"
    case combiningMarks = "combining-marks"
    /// One word of accented letters that NFD decomposes, and of marks it must reorder.
    case accentedWord = "accented-word"
    case emojiLine = "emoji-line"
    case lineBreaks = "crlf-only"
    /// The most pieces: a million one-letter words, sentences, lines, paragraphs.
    case letterWords = "letter-words"
    case letterSentences = "letter-sentences"
    case letterLines = "letter-lines"
    case letterParagraphs = "letter-paragraphs"

    static let characters = 2_000_000

    var unit: String {
        switch self {
        case .prose:
            "Photosynthesis converts light energy into chemical energy, storing it in glucose molecules. "
                + "Chlorophyll absorbs mostly blue and red light! Why are leaves green? They reflect green light. "
                + "The process takes place in the chloroplasts of plant cells, and it releases oxygen.\n\n"
        case .controlCharactersAndSpaces: "\u{0001} "
        case .lettersAndDots: "x."
        case .lettersAndCommas: "ab,"
        case .oneWord: "x"
        case .zeroWidthSpaces: "\u{200B}"
        case .combiningMarks: "\u{0301}"
        case .accentedWord: "\u{00E9}\u{0301}\u{0327}"
        case .emojiLine: "\u{1F600}"
        case .lineBreaks: "\r\n"
        case .letterWords: "a "
        case .letterSentences: "a. "
        case .letterLines: "a\n"
        case .letterParagraphs: "a\n\n"
        }
    }

    var text: String {
        String(repeating: unit, count: Self.characters / unit.unicodeScalars.count)
    }
}

struct Options {
    var vocabulary = ".deps/minilm/vocab.txt"
    var rounds = 3
    var shapes = Shape.allCases

    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    init(_ arguments: [String]) throws {
        var chosen: [Shape] = []
        var rest = arguments[...]
        while let option = rest.popFirst() {
            guard let value = rest.popFirst() else { throw UsageError(description: "\(option) needs a value") }
            switch option {
            case "--vocabulary":
                vocabulary = value
            case "--rounds":
                guard let count = Int(value), count > 0 else { throw UsageError(description: "--rounds takes a positive number") }
                rounds = count
            case "--shape":
                guard let shape = Shape(rawValue: value) else {
                    throw UsageError(description: "unknown shape \(value): one of \(Shape.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                chosen.append(shape)
            default:
                throw UsageError(description: "unknown option \(option)")
            }
        }
        if !chosen.isEmpty { shapes = chosen }
    }
}
