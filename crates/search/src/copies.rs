//! In-process copies of indexes the database holds, kept in step with it.
//!
//! Every transaction that changes what a copy reflects bumps an epoch in the
//! database. A copy is stamped with the epoch it was read at and is reused
//! while the database is still there; a process applies its own committed
//! changes in place when its copy is at the epoch just before the change's,
//! and any other difference (another process wrote) drops the copy, to be
//! reloaded through a [`Loader`] on next use.

use std::{
    collections::HashMap,
    future::Future,
    hash::Hash,
    sync::{Arc, Mutex, RwLock},
};

/// A copy with the database epoch it reflects.
pub struct Stamped<T> {
    /// The database epoch the copy reflects.
    pub epoch: i64,
    /// The copy itself.
    pub index: T,
}

/// A copy shared by the searches reading it and the writer updating it.
pub type Shared<T> = Arc<RwLock<Stamped<T>>>;

/// Reads one copy from the database: what the storage crate implements for
/// each kind of copy.
pub trait Loader<T> {
    /// What a failed read reports.
    type Error;
    /// The epoch the database is at now.
    fn epoch(&self) -> impl Future<Output = Result<i64, Self::Error>> + Send;
    /// A fresh copy with the epoch it reflects, both read in one snapshot.
    fn load(&self) -> impl Future<Output = Result<Stamped<T>, Self::Error>> + Send;
}

/// The copies, one per key (an organisation, or an organisation and model).
pub struct Copies<K, T> {
    entries: Mutex<HashMap<K, Shared<T>>>,
}

impl<K, T> Default for Copies<K, T> {
    fn default() -> Self {
        Copies { entries: Mutex::new(HashMap::new()) }
    }
}

impl<K, T> std::fmt::Debug for Copies<K, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Copies")
    }
}

impl<K: Eq + Hash + Clone, T> Copies<K, T> {
    /// The copy of `key` at the database's current epoch, loaded when this
    /// process has none at that epoch.
    pub async fn get<L: Loader<T>>(&self, key: K, loader: &L) -> Result<Shared<T>, L::Error> {
        let epoch = loader.epoch().await?;
        if let Some(entry) = self.entry(&key)
            && entry.read().is_ok_and(|c| c.epoch == epoch)
        {
            return Ok(entry);
        }
        let copy = Arc::new(RwLock::new(loader.load().await?));
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(key, copy.clone());
        }
        Ok(copy)
    }

    /// `read` applied to the copy of `key` if it is exactly at `epoch`.
    pub fn read_at<R>(&self, key: &K, epoch: i64, read: impl FnOnce(&T) -> R) -> Option<R> {
        self.read_stamped(key, |at, index| (at == epoch).then(|| read(index))).flatten()
    }

    /// `read` applied to the copy of `key` and its epoch, whatever the epoch.
    pub fn read_stamped<R>(&self, key: &K, read: impl FnOnce(i64, &T) -> R) -> Option<R> {
        let entry = self.entry(key)?;
        let copy = entry.read().ok()?;
        Some(read(copy.epoch, &copy.index))
    }

    /// Applies a change this process committed at `epoch` to each copy whose
    /// key `belongs`: in place where the copy was at the epoch just before
    /// (`change` says whether the copy matched what it changed); if any copy
    /// was not, or did not match, all of them are dropped.
    pub fn apply(&self, belongs: impl Fn(&K) -> bool, epoch: i64, mut change: impl FnMut(&K, &mut T) -> bool) {
        let Ok(entries) = self.entries.lock() else { return };
        let touched: Vec<(K, Shared<T>)> =
            entries.iter().filter(|(k, _)| belongs(k)).map(|(k, e)| (k.clone(), e.clone())).collect();
        // Changes apply outside the map's lock, so searches of other keys go on meanwhile.
        drop(entries);
        let mut stale = false;
        for (key, entry) in &touched {
            match entry.write() {
                Ok(mut copy) if copy.epoch == epoch - 1 => {
                    copy.epoch = epoch;
                    stale |= !change(key, &mut copy.index);
                }
                _ => stale = true,
            }
        }
        if stale && let Ok(mut entries) = self.entries.lock() {
            // Only the copies seen above: one loaded meanwhile is current.
            entries.retain(|key, entry| !touched.iter().any(|(k, e)| k == key && Arc::ptr_eq(e, entry)));
        }
    }

    /// Drops the copies whose key `belongs`, after a change this process cannot apply in place.
    pub fn forget(&self, belongs: impl Fn(&K) -> bool) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|key, _| !belongs(key));
        }
    }

    fn entry(&self, key: &K) -> Option<Shared<T>> {
        self.entries.lock().ok()?.get(key).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A database holding one number per key, with its epoch; counts loads.
    struct Database {
        epoch: i64,
        value: u32,
        loads: AtomicUsize,
    }

    impl Loader<u32> for Database {
        type Error = ();
        async fn epoch(&self) -> Result<i64, ()> {
            Ok(self.epoch)
        }
        async fn load(&self) -> Result<Stamped<u32>, ()> {
            self.loads.fetch_add(1, Ordering::SeqCst);
            Ok(Stamped { epoch: self.epoch, index: self.value })
        }
    }

    fn value(copies: &Copies<&'static str, u32>, key: &'static str, epoch: i64) -> Option<u32> {
        copies.read_at(&key, epoch, |v| *v)
    }

    /// Polls a future that never waits (the loader above answers at once).
    fn ready<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(out) => out,
            std::task::Poll::Pending => panic!("the loader never waits"),
        }
    }

    #[test]
    fn copies_are_reused_at_their_epoch_updated_in_place_or_dropped() {
        let copies: Copies<&'static str, u32> = Copies::default();
        let mut db = Database { epoch: 3, value: 10, loads: AtomicUsize::new(0) };
        ready(copies.get("a", &db)).unwrap();
        ready(copies.get("a", &db)).unwrap();
        assert_eq!(db.loads.load(Ordering::SeqCst), 1, "reused at the same epoch");

        // Our own change committed at 4, copy at 3: applied in place, no reload.
        copies.apply(
            |k| *k == "a",
            4,
            |_, v| {
                *v += 1;
                true
            },
        );
        assert_eq!(value(&copies, "a", 4), Some(11));
        db.epoch = 4;
        let copy = ready(copies.get("a", &db)).unwrap();
        assert_eq!((copy.read().unwrap().index, db.loads.load(Ordering::SeqCst)), (11, 1));

        // A change committed at 6 while the copy is at 4 (someone else wrote 5): dropped.
        copies.apply(|k| *k == "a", 6, |_, _| panic!("not applied to a copy two epochs behind"));
        assert_eq!(value(&copies, "a", 4), None);
        (db.epoch, db.value) = (6, 20);
        assert_eq!(ready(copies.get("a", &db)).unwrap().read().unwrap().index, 20);
        assert_eq!(db.loads.load(Ordering::SeqCst), 2);

        // A change the copy does not match is dropped too; `forget` drops by key.
        copies.apply(|k| *k == "a", 7, |_, _| false);
        assert_eq!(value(&copies, "a", 7), None);
        ready(copies.get("b", &db)).unwrap();
        copies.forget(|k| *k == "b");
        assert_eq!(value(&copies, "b", 6), None);
    }
}
