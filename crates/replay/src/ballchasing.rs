//! ballchasing.com's replay JSON shape.
