//! A `#[derive(ApiError)]` variant's fields on the wire: sent as extension members when
//! their type serializes, read back when it deserializes, else left out. Autoref probes
//! (as for validation): `(&&SendField(x)).wire()` picks the serde impl when it applies and
//! the fallback otherwise, so the derive asks nothing of the field types.

use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A field being sent.
#[derive(Debug)]
pub struct SendField<'a, T>(pub &'a T);

/// The field serializes: its JSON value.
pub trait SendSerde {
    /// The member's value.
    fn wire(&self) -> Option<Value>;
}

impl<T: Serialize> SendSerde for &SendField<'_, T> {
    fn wire(&self) -> Option<Value> {
        serde_json::to_value(self.0).ok()
    }
}

/// The field does not serialize: not sent.
pub trait SendNothing {
    /// Nothing.
    fn wire(&self) -> Option<Value>;
}

impl<T> SendNothing for SendField<'_, T> {
    fn wire(&self) -> Option<Value> {
        None
    }
}

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
    fn serde_types_travel_and_others_stay_home() {
        assert_eq!((&&SendField(&7_u32)).wire(), Some(Value::from(7)));
        assert_eq!((&&SendField(&Opaque)).wire(), None);
        let seven = Value::from(7);
        assert_eq!((&&ReadField::<u32>::new()).read(Some(&seven)), Some(7));
        assert_eq!((&&ReadField::<u32>::new()).read(None), None);
        assert_eq!((&&ReadField::<String>::new()).read(Some(&seven)), None);
        assert!((&&ReadField::<Opaque>::new()).read(Some(&seven)).is_none());
    }
}
