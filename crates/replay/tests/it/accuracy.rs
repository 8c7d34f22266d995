// The ballchasing accuracy test.
