import Testing

@Test func placeholder_UFIndexTests() { #expect(true) }
