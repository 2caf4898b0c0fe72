import Testing

@Test func placeholder_UFServerTests() { #expect(true) }
