import Testing

@Test func placeholder_UFSearchTests() { #expect(true) }
