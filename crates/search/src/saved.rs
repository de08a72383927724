//! A copy's saved form: the arrays it is made of, written one after another,
//! each as its length and its values in little-endian order, behind a
//! four-byte tag naming the kind of copy and a format version. Restoring a
//! copy from it reads a few large arrays instead of rebuilding the copy row
//! by row (at 100k chunks: tens of milliseconds instead of hundreds), and
//! every length and reference is checked, so a damaged saved copy is
//! reported, never trusted.

use wayfinder_knowledge_rules::{CollectionId, DocumentId};

/// A saved copy that does not read back: wrong tag or version, cut short,
/// or arrays that disagree with each other.
#[derive(Debug, PartialEq, Eq)]
pub struct CorruptSavedCopy;

/// The format version written after the tag; a saved copy of another version
/// is reported as corrupt (and the copy rebuilt from the rows).
const VERSION: u32 = 1;

/// A value of fixed width in the saved form.
pub(crate) trait Fixed: Copy {
    const WIDTH: usize;
    fn put(self, out: &mut Vec<u8>);
    fn get(bytes: &[u8]) -> Self;
}

macro_rules! fixed_numbers {
    ($($t:ty),*) => {$(
        impl Fixed for $t {
            const WIDTH: usize = std::mem::size_of::<$t>();
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes.try_into().expect("a value's width"))
            }
        }
    )*};
}
fixed_numbers!(u8, i8, u16, u32, u64, i64, f32);

macro_rules! fixed_ids {
    ($($t:ident),*) => {$(
        impl Fixed for $t {
            const WIDTH: usize = 16;
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(self.0.as_bytes());
            }
            fn get(bytes: &[u8]) -> Self {
                $t(uuid::Uuid::from_bytes(bytes.try_into().expect("an id's width")))
            }
        }
    )*};
}
fixed_ids!(CollectionId, DocumentId);

/// Writes a saved copy.
pub(crate) struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    pub(crate) fn new(tag: &[u8; 4], capacity: usize) -> Self {
        let mut bytes = Vec::with_capacity(capacity + 8);
        bytes.extend_from_slice(tag);
        VERSION.put(&mut bytes);
        Writer { bytes }
    }

    pub(crate) fn value<T: Fixed>(&mut self, value: T) {
        value.put(&mut self.bytes);
    }

    /// Writes the values' count, then the values.
    pub(crate) fn array<T: Fixed>(&mut self, values: impl IntoIterator<Item = T>) {
        let at = self.bytes.len();
        0u64.put(&mut self.bytes);
        let mut count = 0u64;
        for value in values {
            value.put(&mut self.bytes);
            count += 1;
        }
        self.bytes[at..at + 8].copy_from_slice(&count.to_le_bytes());
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

/// An array still in its saved form: its values are decoded piece by piece,
/// straight into the vectors that keep them.
pub(crate) struct RawArray<'a, T> {
    bytes: &'a [u8],
    values: std::marker::PhantomData<T>,
}

impl<T: Fixed> RawArray<'_, T> {
    /// How many values it holds.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len() / T::WIDTH
    }

    /// Values `range` (within the array).
    pub(crate) fn values(&self, range: std::ops::Range<usize>) -> Vec<T> {
        self.bytes[range.start * T::WIDTH..range.end * T::WIDTH].chunks_exact(T::WIDTH).map(T::get).collect()
    }
}

/// Reads a saved copy back, checking each length against what is left.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(tag: &[u8; 4], bytes: &'a [u8]) -> Result<Self, CorruptSavedCopy> {
        let mut reader = Reader { rest: bytes.strip_prefix(tag.as_slice()).ok_or(CorruptSavedCopy)? };
        match reader.value::<u32>()? {
            VERSION => Ok(reader),
            _ => Err(CorruptSavedCopy),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CorruptSavedCopy> {
        if n > self.rest.len() {
            return Err(CorruptSavedCopy);
        }
        let (taken, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(taken)
    }

    pub(crate) fn value<T: Fixed>(&mut self) -> Result<T, CorruptSavedCopy> {
        self.take(T::WIDTH).map(T::get)
    }

    /// The next array still in its saved form: its count, then that many values' bytes.
    fn raw_array<T: Fixed>(&mut self) -> Result<RawArray<'a, T>, CorruptSavedCopy> {
        let n = usize::try_from(self.value::<u64>()?).map_err(|_| CorruptSavedCopy)?;
        let bytes = self.take(n.checked_mul(T::WIDTH).ok_or(CorruptSavedCopy)?)?;
        Ok(RawArray { bytes, values: std::marker::PhantomData })
    }

    pub(crate) fn array<T: Fixed>(&mut self) -> Result<Vec<T>, CorruptSavedCopy> {
        self.raw_array().map(|raw| raw.values(0..raw.len()))
    }

    /// An array of `n` values left in its saved form, for the caller to take in pieces.
    pub(crate) fn raw_array_of<T: Fixed>(&mut self, n: usize) -> Result<RawArray<'a, T>, CorruptSavedCopy> {
        self.raw_array().and_then(|raw: RawArray<'a, T>| if raw.len() == n { Ok(raw) } else { Err(CorruptSavedCopy) })
    }

    /// An array that must have `n` values.
    pub(crate) fn array_of<T: Fixed>(&mut self, n: usize) -> Result<Vec<T>, CorruptSavedCopy> {
        self.raw_array_of(n).map(|raw| raw.values(0..n))
    }

    /// Succeeds when everything was read.
    pub(crate) fn end(self) -> Result<(), CorruptSavedCopy> {
        if self.rest.is_empty() { Ok(()) } else { Err(CorruptSavedCopy) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_read_back_and_damage_is_reported() {
        let mut w = Writer::new(b"TEST", 0);
        w.value(7u32);
        w.array([1i64, -2, i64::MAX]);
        w.array([0.5f32, -1.25]);
        let id = CollectionId::new();
        w.array([id]);
        let bytes = w.finish();
        // Tag, version, one u32, then each array's length (8 bytes) and values.
        assert_eq!(bytes.len(), 4 + 4 + 4 + (8 + 24) + (8 + 8) + (8 + 16));

        let mut r = Reader::new(b"TEST", &bytes).unwrap();
        assert_eq!(r.value::<u32>(), Ok(7));
        assert_eq!(r.array::<i64>(), Ok(vec![1, -2, i64::MAX]));
        assert_eq!(r.array_of::<f32>(2), Ok(vec![0.5, -1.25]));
        assert_eq!(r.array::<CollectionId>(), Ok(vec![id]));
        assert_eq!(r.end(), Ok(()));

        assert!(Reader::new(b"LEXC", &bytes).is_err(), "another tag");
        let mut other_version = bytes.clone();
        other_version[4] = 2;
        assert!(Reader::new(b"TEST", &other_version).is_err(), "another version");
        let mut r = Reader::new(b"TEST", &bytes[..bytes.len() - 1]).unwrap();
        r.value::<u32>().unwrap();
        r.array::<i64>().unwrap();
        r.array::<f32>().unwrap();
        assert!(r.array::<CollectionId>().is_err(), "cut short");
        let mut r = Reader::new(b"TEST", &bytes).unwrap();
        r.value::<u32>().unwrap();
        assert!(r.array_of::<i64>(2).is_err(), "a length other than expected");
        let mut huge = Writer::new(b"TEST", 0);
        huge.value(u64::MAX);
        assert!(Reader::new(b"TEST", &huge.finish()).unwrap().array::<u32>().is_err(), "a length past the end");
    }
}
