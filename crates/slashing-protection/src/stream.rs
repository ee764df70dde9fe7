//! Interchange files of any size in bounded memory: reading one into its minified form, and
//! writing one entry at a time.

use crate::error::InterchangeError;
use crate::interchange::{InterchangeData, InterchangeMetadata, MinifiedData, MinifiedInterchange};
use lsv_consensus::B256;
use std::io::{self, Read, Write};

/// Reads a whole interchange document from `reader`, keeping only its minified form.
///
/// The document's outer object and its `data` array are walked here; every value in them
/// (`metadata`, each `data` entry, any other field) is cut out whole and handed to serde_json,
/// which checks it with the same strict rules as [`crate::Interchange`]. Memory holds one entry
/// at a time (plus a few MiB of read buffer), and each entry is parsed from a slice, which is
/// several times faster than serde_json's reader.
pub(crate) fn read_minified(reader: impl Read) -> Result<MinifiedInterchange, InterchangeError> {
    let mut src = Source::new(reader);
    if src.next_token()? != Some(b'{') {
        return Err(syntax("an interchange is a JSON object"));
    }
    let mut metadata = None;
    let mut data = None;
    if src.peek_token()? == Some(b'}') {
        src.pos += 1;
    } else {
        loop {
            let key: String = serde_json::from_slice(src.value()?)?;
            if src.next_token()? != Some(b':') {
                return Err(syntax(format!("expected ':' after the key {key:?}")));
            }
            match key.as_str() {
                "metadata" if metadata.is_some() => return Err(duplicate("metadata")),
                "metadata" => {
                    metadata = Some(serde_json::from_slice::<InterchangeMetadata>(src.value()?)?)
                }
                "data" if data.is_some() => return Err(duplicate("data")),
                "data" => data = Some(read_data(&mut src)?),
                _ => {
                    serde_json::from_slice::<serde::de::IgnoredAny>(src.value()?)?;
                }
            }
            match src.next_token()? {
                Some(b',') => {}
                Some(b'}') => break,
                _ => return Err(syntax("expected ',' or '}' in the interchange object")),
            }
        }
    }
    if src.next_token()?.is_some() {
        return Err(syntax("trailing characters after the interchange object"));
    }
    Ok(MinifiedInterchange {
        metadata: metadata.ok_or_else(|| missing("metadata"))?,
        data: data.ok_or_else(|| missing("data"))?,
    })
}

/// The `data` array, one entry at a time.
fn read_data<R: Read>(src: &mut Source<R>) -> Result<Vec<MinifiedData>, InterchangeError> {
    if src.peek_token()? != Some(b'[') {
        // Not an array: serde_json says what it is instead.
        return Ok(serde_json::from_slice(src.value()?)?);
    }
    src.pos += 1;
    let mut entries = Vec::new();
    if src.peek_token()? == Some(b']') {
        src.pos += 1;
        return Ok(entries);
    }
    loop {
        let entry = serde_json::from_slice::<MinifiedData>(src.value()?)
            .map_err(|e| syntax(format!("data[{}]: {e}", entries.len())))?;
        entries.push(entry);
        match src.next_token()? {
            Some(b',') => {}
            Some(b']') => return Ok(entries),
            _ => {
                return Err(syntax(format!(
                    "expected ',' or ']' after data[{}]",
                    entries.len() - 1
                )))
            }
        }
    }
}

fn syntax(msg: impl std::fmt::Display) -> InterchangeError {
    InterchangeError::Json(serde::de::Error::custom(msg))
}

fn duplicate(field: &'static str) -> InterchangeError {
    InterchangeError::Json(serde::de::Error::duplicate_field(field))
}

fn missing(field: &'static str) -> InterchangeError {
    InterchangeError::Json(serde::de::Error::missing_field(field))
}

/// How much is read at a time.
const CHUNK: u64 = 1 << 20;
/// Consumed bytes are dropped from the buffer once there are this many.
const COMPACT_AT: usize = 4 << 20;

/// A read buffer that hands out whole JSON values as slices.
struct Source<R> {
    reader: R,
    buf: Vec<u8>,
    /// The next unread byte.
    pos: usize,
}

impl<R: Read> Source<R> {
    fn new(reader: R) -> Self {
        Self {
            reader,
            buf: Vec::with_capacity(COMPACT_AT + 2 * CHUNK as usize),
            pos: 0,
        }
    }

    /// Appends up to [`CHUNK`] bytes; false at the end of the input.
    fn read_more(&mut self) -> io::Result<bool> {
        loop {
            match (&mut self.reader).take(CHUNK).read_to_end(&mut self.buf) {
                Ok(n) => return Ok(n > 0),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The next byte that is not JSON whitespace, without consuming it.
    fn peek_token(&mut self) -> io::Result<Option<u8>> {
        loop {
            while let Some(&b) = self.buf.get(self.pos) {
                if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                    return Ok(Some(b));
                }
                self.pos += 1;
            }
            if !self.read_more()? {
                return Ok(None);
            }
        }
    }

    /// The next byte that is not JSON whitespace, consumed.
    fn next_token(&mut self) -> io::Result<Option<u8>> {
        let b = self.peek_token()?;
        if b.is_some() {
            self.pos += 1;
        }
        Ok(b)
    }

    /// The next JSON value (after whitespace), whole: the bytes up to where it ends. Only the
    /// end is found here (strings, escapes and nesting are followed); whether the bytes are a
    /// valid value is for serde_json to say, so a malformed one comes back as whatever span
    /// the scan ends on, possibly empty.
    fn value(&mut self) -> io::Result<&[u8]> {
        if self.pos >= COMPACT_AT {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.peek_token()?;
        let start = self.pos;
        let mut i = start;
        let mut depth = 0usize;
        let mut in_string = false;
        loop {
            if i >= self.buf.len() && !self.read_more()? {
                break; // the end of the input: a value cut short, which serde_json refuses
            }
            if in_string {
                match memchr::memchr2(b'"', b'\\', &self.buf[i..]) {
                    None => i = self.buf.len(),
                    Some(k) if self.buf[i + k] == b'"' => {
                        in_string = false;
                        i += k + 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    Some(k) => {
                        // A backslash escapes the byte after it, which may not be read yet.
                        if i + k + 1 >= self.buf.len() && !self.read_more()? {
                            i = self.buf.len();
                            break;
                        }
                        i += k + 2;
                    }
                }
                continue;
            }
            match self.buf[i] {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth == 0 => break, // a bare value ends at its container's end
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        i += 1;
                        break;
                    }
                }
                b',' | b' ' | b'\n' | b'\r' | b'\t' if depth == 0 => break,
                _ => {}
            }
            i += 1;
        }
        self.pos = i;
        Ok(&self.buf[start..i])
    }
}

/// Writes an interchange document one `data` entry at a time, so that the whole document is
/// never in memory: `{"metadata":…,"data":[` first, then each entry on its own line, then `]}`.
pub struct InterchangeWriter<W: Write> {
    out: W,
    entries: usize,
}

impl<W: Write> InterchangeWriter<W> {
    /// Writes the metadata and opens the `data` array.
    pub fn new(mut out: W, genesis_validators_root: B256) -> Result<Self, InterchangeError> {
        let metadata = InterchangeMetadata {
            interchange_format_version: crate::INTERCHANGE_FORMAT_VERSION.to_owned(),
            genesis_validators_root,
        };
        out.write_all(b"{\"metadata\":")?;
        serde_json::to_writer(&mut out, &metadata)?;
        out.write_all(b",\"data\":[")?;
        Ok(Self { out, entries: 0 })
    }

    /// Appends one entry.
    pub fn entry(&mut self, entry: &InterchangeData) -> Result<(), InterchangeError> {
        self.out
            .write_all(if self.entries == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut self.out, entry)?;
        self.entries += 1;
        Ok(())
    }

    /// How many entries were written so far.
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// Closes the array and the document and flushes; returns the writer.
    pub fn finish(mut self) -> Result<W, InterchangeError> {
        self.out.write_all(b"\n]}\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}
