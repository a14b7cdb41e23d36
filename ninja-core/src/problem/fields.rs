//! Reading a `#[derive(ApiError)]` variant's fields back from their extension members
//! when their type deserializes (sending them is `DefaultDoc`'s probe, as for documented
//! defaults). An autoref probe: `(&&ReadField::<T>::new()).read(v)` picks the serde impl
//! when it applies and the fallback otherwise, so the derive asks nothing of field types.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde_json::Value;

/// A field being read back, of type `T`.
#[derive(Debug)]
pub struct ReadField<T>(PhantomData<T>);

impl<T> ReadField<T> {
    /// The probe.
    #[must_use]
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T> Default for ReadField<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The field deserializes: read from its member.
pub trait ReadSerde<T> {
    /// The field's value, if the member is there and fits.
    fn read(&self, member: Option<&Value>) -> Option<T>;
}

impl<T: DeserializeOwned> ReadSerde<T> for &ReadField<T> {
    fn read(&self, member: Option<&Value>) -> Option<T> {
        T::deserialize(member?).ok()
    }
}

/// The field does not deserialize: the variant cannot be read back.
pub trait ReadNothing<T> {
    /// Nothing.
    fn read(&self, member: Option<&Value>) -> Option<T>;
}

impl<T> ReadNothing<T> for ReadField<T> {
    fn read(&self, _: Option<&Value>) -> Option<T> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Opaque;

    // Written as the derive writes them, borrows and all: the point is which impl is picked.
    #[allow(clippy::needless_borrow)]
    #[test]
    fn serde_types_are_read_back_and_others_are_not() {
        let seven = Value::from(7);
        assert_eq!((&&ReadField::<u32>::new()).read(Some(&seven)), Some(7));
        assert_eq!((&&ReadField::<u32>::new()).read(None), None);
        assert_eq!((&&ReadField::<String>::new()).read(Some(&seven)), None);
        assert!((&&ReadField::<Opaque>::new()).read(Some(&seven)).is_none());
    }
}
