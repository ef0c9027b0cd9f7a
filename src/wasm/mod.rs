//! The JS face: conversions only.
