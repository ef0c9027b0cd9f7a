//! `--simulate`: a simulated agent (filled in below).

use crate::app::SharedApp;

pub fn spawn(_app: SharedApp) {}
