import Core
import Testing

/// Sentences end where a reader sees them end: not at titles, initials, abbreviations,
/// decimals or an ellipsis that runs on; quotes and brackets stay with their sentence.
@Suite struct SentenceSegmenterTests {
    @Test(arguments: [
        ("My dentist appointment with Dr. Okafor is on Tuesday at 3pm.", ["My dentist appointment with Dr. Okafor is on Tuesday at 3pm."]),
        ("J. K. Rowling wrote it. It sold well.", ["J. K. Rowling wrote it.", "It sold well."]),
        ("It costs 3.50 dollars. Cheap!", ["It costs 3.50 dollars.", "Cheap!"]),
        ("Wait... what? Yes.", ["Wait... what?", "Yes."]),
        ("She said \"Go home.\" Then she left.", ["She said \"Go home.\"", "Then she left."]),
        ("Bring fruit, e.g. apples and pears. Done.", ["Bring fruit, e.g. apples and pears.", "Done."]),
        ("Mrs. Smith met Mr. Jones at Acme Inc. Later they talked.", ["Mrs. Smith met Mr. Jones at Acme Inc. Later they talked."]),
        ("I live in Oslo\nI work at Acme.", ["I live in Oslo", "I work at Acme."]),
        ("Visit example.com today. Or not?! Fine", ["Visit example.com today.", "Or not?!", "Fine"]),
        ("(It rained.) We stayed in.", ["(It rained.)", "We stayed in."]),
        ("", []),
    ])
    func splitsAsAReaderWould(_ text: String, _ expected: [String]) {
        #expect(SentenceSegmenter.sentences(of: text) == expected)
    }
}
