//! Matrix products on f32 through gemm (the kernels candle itself uses), on
//! matrices read and written in place through strides.

// gemm's entry point takes raw pointers with strides; the one unsafe call states
// why its reads and writes stay inside the slices, whose shapes are asserted first.
#![allow(unsafe_code)]

/// A matrix inside a slice: element `(i, j)` at `offset + i · row + j · col`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Strided {
    pub offset: usize,
    pub row: usize,
    pub col: usize,
}

impl Strided {
    /// The index of element `(rows − 1, cols − 1)`, the furthest one read or written.
    fn last(self, rows: usize, cols: usize) -> usize {
        self.offset + (rows - 1) * self.row + (cols - 1) * self.col
    }
}

/// Which threads a product runs on.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Threads {
    /// The calling thread only (the caller already runs products side by side).
    One,
    /// Every thread of the current rayon pool.
    Pool,
}

impl Strided {
    /// A dense `(rows, width)` matrix from the start of its slice.
    pub fn dense(width: usize) -> Self {
        Strided { offset: 0, row: width, col: 1 }
    }
}

/// `out = lhs · rhs` for an `(m, k)` by `(k, n)` product.
#[allow(clippy::too_many_arguments)]
pub(crate) fn product(
    out: &mut [f32],
    o: Strided,
    lhs: &[f32],
    l: Strided,
    rhs: &[f32],
    r: Strided,
    (m, n, k): (usize, usize, usize),
    threads: Threads,
) {
    assert!(m > 0 && n > 0 && k > 0, "empty product");
    assert!(o.last(m, n) < out.len(), "output out of bounds: {o:?} for {m} × {n} in {}", out.len());
    assert!(l.last(m, k) < lhs.len(), "left operand out of bounds: {l:?} for {m} × {k} in {}", lhs.len());
    assert!(r.last(k, n) < rhs.len(), "right operand out of bounds: {r:?} for {k} × {n} in {}", rhs.len());
    // SAFETY: gemm reads and writes only elements `offset + i·row + j·col` with `i`, `j`
    // below each operand's rows and columns, all bounded by the asserts above; `out`
    // is an exclusive borrow that neither operand aliases.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr().add(o.offset),
            o.col as isize,
            o.row as isize,
            false,
            lhs.as_ptr().add(l.offset),
            l.col as isize,
            l.row as isize,
            rhs.as_ptr().add(r.offset),
            r.col as isize,
            r.row as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            match threads {
                Threads::One => gemm::Parallelism::None,
                Threads::Pool => gemm::Parallelism::Rayon(rayon::current_num_threads()),
            },
        )
    }
}
