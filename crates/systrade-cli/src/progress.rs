//! Progress bars on stderr, drawn only when stderr is a terminal and `--no-progress` is not given.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// A progress bar that is a no-op when hidden.
#[derive(Clone)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar over `len` items labelled `what` ("instruments", "files", ...).
    pub fn new(len: u64, what: &str, no_progress: bool) -> Self {
        let visible = !no_progress && std::io::stderr().is_terminal();
        let bar = if visible {
            ProgressBar::new(len)
        } else {
            ProgressBar::hidden()
        };
        let template =
            format!("{{spinner}} [{{elapsed_precise}}] {{bar:40}} {{pos}}/{{len}} {what} {{msg}}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        Self { bar }
    }

    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    pub fn set_message(&self, msg: impl Into<std::borrow::Cow<'static, str>>) {
        self.bar.set_message(msg);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
