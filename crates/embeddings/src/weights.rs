//! Reads a model's `model.safetensors` one tensor at a time.
//!
//! Loading builds the encoder's own layout (transposed, fused, quantised) from each
//! weight in turn, so the file is never held in memory whole: a 438 MB MPNet
//! checkpoint loads with one tensor's f32 copy at a time beside what is kept. The
//! token embedding table is not loaded at all: a sequence needs only its tokens'
//! rows, which are read from the file as they are needed (`RowsOnDisk`). The header
//! is the format's own (a little-endian length, then JSON naming each tensor's type,
//! shape and byte range), parsed and validated by the `safetensors` crate.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use half::{bf16, f16};
use safetensors::tensor::{Dtype, Metadata};

/// A header larger than this is not a model's (MiniLM's is 18 kB, MPNet's 27 kB).
const MAX_HEADER: u64 = 64 << 20;
/// Bytes read and widened at a time while loading a tensor.
const READ_CHUNK: usize = 1 << 20;

/// An open safetensors file and its header.
#[derive(Debug)]
pub(crate) struct WeightFile {
    file: File,
    metadata: Metadata,
    /// Where the tensors' bytes begin: after the length and the header.
    data_start: u64,
}

impl WeightFile {
    pub fn open(path: &Path) -> Result<Self, String> {
        let mut file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
        let file_len = file.metadata().map_err(|e| format!("cannot read: {e}"))?.len();
        let mut len = [0u8; 8];
        file.read_exact(&mut len).map_err(|_| "too short for a safetensors header".to_string())?;
        let header_len = u64::from_le_bytes(len);
        if header_len > MAX_HEADER || 8 + header_len > file_len {
            return Err(format!("header length {header_len} does not fit a {file_len}-byte file"));
        }
        let mut header = vec![0u8; header_len as usize];
        file.read_exact(&mut header).map_err(|e| format!("cannot read the header: {e}"))?;
        let metadata: Metadata =
            serde_json::from_slice(&header).map_err(|e| format!("the safetensors header is invalid: {e}"))?;
        let data_start = 8 + header_len;
        if data_start + metadata.data_len() as u64 > file_len {
            return Err(format!("the header names {} bytes of tensors; the file holds fewer", metadata.data_len()));
        }
        Ok(WeightFile { file, metadata, data_start })
    }

    pub fn contains(&self, name: &str) -> bool {
        self.metadata.info(name).is_some()
    }

    /// Where tensor `name`'s bytes are and how they are stored, checked to have `shape`
    /// and a floating-point type this crate widens.
    fn locate(&self, name: &str, shape: &[usize]) -> Result<(u64, usize, Float), String> {
        let info = self.metadata.info(name).ok_or_else(|| format!("weight {name} is missing"))?;
        if info.shape != shape {
            return Err(format!("weight {name} has shape {:?}, expected {shape:?}", info.shape));
        }
        let float = Float::of(info.dtype)
            .ok_or_else(|| format!("weight {name} is stored as {:?}; f32, f16 or bf16 expected", info.dtype))?;
        let (start, end) = info.data_offsets;
        Ok((self.data_start + start as u64, end - start, float))
    }

    /// Tensor `name` as f32 values, checked to have `shape`.
    pub fn f32(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, String> {
        let (start, len, float) = self.locate(name, shape)?;
        let mut values = Vec::with_capacity(len / float.size());
        let mut buffer = vec![0u8; READ_CHUNK.min(len)];
        let mut done = 0;
        while done < len {
            let bytes = &mut buffer[..READ_CHUNK.min(len - done)];
            read_at(&self.file, bytes, start + done as u64).map_err(|e| format!("cannot read weight {name}: {e}"))?;
            float.widen_into(bytes, &mut values);
            done += bytes.len();
        }
        Ok(values)
    }

    /// The rows of the `(rows, width)` tensor `name`, left in the file and read one
    /// at a time.
    pub fn rows_on_disk(&self, name: &str, rows: usize, width: usize) -> Result<RowsOnDisk, String> {
        let (start, _, float) = self.locate(name, &[rows, width])?;
        let file = self.file.try_clone().map_err(|e| format!("cannot read weight {name}: {e}"))?;
        Ok(RowsOnDisk { file, start, rows, row_bytes: width * float.size(), float })
    }
}

/// A table whose rows are read from the weights file when asked for. The token
/// embedding table is the largest single weight (MPNet: 30,527 × 768, 94 MB in
/// f32) and a sequence needs one row per token, so reading rows as they are needed
/// keeps it out of the process's memory for a read of a few kilobytes per token;
/// the operating system's file cache keeps the rows in frequent use, and gives the
/// memory back under pressure. The values are the file's own, unrounded.
#[derive(Debug)]
pub(crate) struct RowsOnDisk {
    file: File,
    start: u64,
    rows: usize,
    row_bytes: usize,
    float: Float,
}

impl RowsOnDisk {
    /// Writes row `index` into `row` (as wide as the table); `Ok(false)` when the
    /// table has no such row.
    pub fn row_into(&self, index: usize, row: &mut [f32], buffer: &mut Vec<u8>) -> std::io::Result<bool> {
        if index >= self.rows {
            return Ok(false);
        }
        buffer.resize(self.row_bytes, 0);
        read_at(&self.file, buffer, self.start + (index * self.row_bytes) as u64)?;
        self.float.widen_onto(buffer, row);
        Ok(true)
    }
}

/// The floating-point types a weight may be stored in, all read as f32.
#[derive(Clone, Copy, Debug)]
enum Float {
    F32,
    F16,
    BF16,
}

impl Float {
    fn of(dtype: Dtype) -> Option<Self> {
        match dtype {
            Dtype::F32 => Some(Float::F32),
            Dtype::F16 => Some(Float::F16),
            Dtype::BF16 => Some(Float::BF16),
            _ => None,
        }
    }

    fn size(self) -> usize {
        match self {
            Float::F32 => 4,
            Float::F16 | Float::BF16 => 2,
        }
    }

    fn widen(self, b: &[u8]) -> f32 {
        match self {
            Float::F32 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            Float::F16 => f16::from_le_bytes([b[0], b[1]]).to_f32(),
            Float::BF16 => bf16::from_le_bytes([b[0], b[1]]).to_f32(),
        }
    }

    fn widen_into(self, bytes: &[u8], values: &mut Vec<f32>) {
        values.extend(bytes.chunks_exact(self.size()).map(|b| self.widen(b)));
    }

    fn widen_onto(self, bytes: &[u8], values: &mut [f32]) {
        values.iter_mut().zip(bytes.chunks_exact(self.size())).for_each(|(v, b)| *v = self.widen(b));
    }
}

/// Fills `buffer` from `offset` without moving a shared file position, so threads
/// read rows side by side through one handle.
#[cfg(unix)]
fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buffer, offset)
}

#[cfg(windows)]
fn read_at(file: &File, mut buffer: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !buffer.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buffer, offset)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buffer = &mut buffer[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

/// `(rows, cols)` row-major values as `(cols, rows)`.
pub(crate) fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0f32; values.len()];
    for (r, row) in values.chunks_exact(cols).enumerate() {
        for (c, v) in row.iter().enumerate() {
            out[c * rows + r] = *v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(header: &str, data: &[u8]) -> tempfile::NamedTempFile {
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(data);
        raw_file(&bytes)
    }

    fn raw_file(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(bytes).unwrap();
        file
    }

    #[test]
    fn reads_each_stored_type_as_f32() {
        let mut data = Vec::new();
        [1.5f32, -2.0].iter().for_each(|v| data.extend(v.to_le_bytes()));
        [0.25f32, 3.0].iter().for_each(|v| data.extend(f16::from_f32(*v).to_le_bytes()));
        [-0.5f32, 8.0].iter().for_each(|v| data.extend(bf16::from_f32(*v).to_le_bytes()));
        let header = r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
            "b":{"dtype":"F16","shape":[1,2],"data_offsets":[8,12]},
            "c":{"dtype":"BF16","shape":[2],"data_offsets":[12,16]}}"#;
        let path = file_with(header, &data);
        let weights = WeightFile::open(path.path()).unwrap();
        assert_eq!(weights.f32("a", &[2]).unwrap(), vec![1.5, -2.0]);
        assert_eq!(weights.f32("b", &[1, 2]).unwrap(), vec![0.25, 3.0]);
        assert_eq!(weights.f32("c", &[2]).unwrap(), vec![-0.5, 8.0]);
        assert!(weights.f32("b", &[2]).unwrap_err().contains("shape"));
        assert!(weights.f32("d", &[2]).unwrap_err().contains("missing"));
        assert!(weights.contains("c") && !weights.contains("d"));
    }

    #[test]
    fn reads_a_tables_rows_from_the_file_as_asked() {
        let mut data = Vec::new();
        (0..6).for_each(|v| data.extend(f16::from_f32(v as f32 * 0.5).to_le_bytes()));
        let path = file_with(r#"{"t":{"dtype":"F16","shape":[3,2],"data_offsets":[0,12]}}"#, &data);
        let weights = WeightFile::open(path.path()).unwrap();
        let rows = weights.rows_on_disk("t", 3, 2).unwrap();
        let (mut row, mut buffer) = ([0f32; 2], Vec::new());
        assert!(rows.row_into(2, &mut row, &mut buffer).unwrap());
        assert_eq!(row, [2.0, 2.5]);
        assert!(rows.row_into(0, &mut row, &mut buffer).unwrap());
        assert_eq!(row, [0.0, 0.5]);
        assert!(!rows.row_into(3, &mut row, &mut buffer).unwrap());
        assert!(weights.rows_on_disk("t", 2, 3).unwrap_err().contains("shape"));
    }

    #[test]
    fn reads_tensors_larger_than_one_read() {
        let values: Vec<f32> = (0..READ_CHUNK / 2 + 3).map(|i| i as f32).collect();
        let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let header =
            format!(r#"{{"big":{{"dtype":"F32","shape":[{}],"data_offsets":[0,{}]}}}}"#, values.len(), data.len());
        let path = file_with(&header, &data);
        assert_eq!(WeightFile::open(path.path()).unwrap().f32("big", &[values.len()]).unwrap(), values);
    }

    #[test]
    fn refuses_files_that_do_not_hold_what_their_header_names() {
        let header = r#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#;
        // Eight of the sixteen bytes the header promises.
        assert!(WeightFile::open(file_with(header, &[0u8; 8]).path()).unwrap_err().contains("fewer"));
        // A byte range that does not match the shape.
        let wrong = r#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#;
        assert!(WeightFile::open(file_with(wrong, &[0u8; 16]).path()).unwrap_err().contains("invalid"));
        // A length beyond the file.
        let mut short = 1000u64.to_le_bytes().to_vec();
        short.extend_from_slice(b"{}");
        assert!(WeightFile::open(raw_file(&short).path()).unwrap_err().contains("does not fit"));
        // An integer tensor is not a weight this encoder reads.
        let ints = r#"{"a":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#;
        let path = file_with(ints, &[0u8; 4]);
        assert!(WeightFile::open(path.path()).unwrap().f32("a", &[1]).unwrap_err().contains("I32"));
    }

    #[test]
    fn transposes_row_major_matrices() {
        assert_eq!(transpose(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    }
}
