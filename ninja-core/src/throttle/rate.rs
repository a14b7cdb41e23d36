//! [`Rate`]: how many requests per window, written as django-ninja writes it (`"10/s"`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A number of requests per window: `"10/s"`, `"100/m"`, `"1000/h"`, `"5000/d"`, or with a
/// count of units, `"20/10s"`, `"3/15min"`.
///
/// Units: `s`/`sec`/`second`, `m`/`min`/`minute`, `h`/`hour`, `d`/`day` (and their
/// plurals). A rate lets `quota` requests through at once and refills evenly over the
/// window (GCRA): `"60/m"` is a burst of 60, then one more each second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rate {
    quota: u32,
    window: Duration,
}

impl Rate {
    /// `quota` requests per `window`; `None` unless the window is a whole number of seconds
    /// (as the `RateLimit` headers state it) and the quota is between 1 and one per
    /// microsecond (the Redis store's resolution).
    #[must_use]
    pub fn new(quota: u32, window: Duration) -> Option<Self> {
        let whole = window.subsec_nanos() == 0 && window.as_secs() > 0;
        let fine_enough = u128::from(quota) <= window.as_micros();
        (quota > 0 && whole && fine_enough).then_some(Self { quota, window })
    }

    /// The requests allowed per window.
    #[must_use]
    pub fn quota(&self) -> u32 {
        self.quota
    }

    /// The window.
    #[must_use]
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The time one request's share of the quota takes to come back.
    pub(crate) fn interval(&self) -> Duration {
        self.window / self.quota
    }
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "throttle rate `{s}`: expected `<count>/<unit>` such as `10/s`, `100/m`, `1000/h`, `20/10s`"
            )
        };
        let (count, per) = s.trim().split_once('/').ok_or_else(bad)?;
        let quota: u32 = count.trim().parse().map_err(|_| bad())?;
        let per = per.trim();
        let digits = per.bytes().take_while(u8::is_ascii_digit).count();
        let times: u32 = if digits == 0 {
            1
        } else {
            per[..digits].parse().map_err(|_| bad())?
        };
        let unit = match per[digits..].trim() {
            "s" | "sec" | "secs" | "second" | "seconds" => 1,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            "h" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            _ => return Err(bad()),
        };
        Rate::new(quota, Duration::from_secs(u64::from(times) * unit)).ok_or_else(|| {
            format!("throttle rate `{s}`: the count and the window must not be zero")
        })
    }
}

/// `10/s`, `20/10s`, `1000/h`: the shortest spelling that parses back to the same rate.
impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.window.as_secs();
        let (n, unit) = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")]
            .into_iter()
            .find(|(u, _)| secs.is_multiple_of(*u))
            .map_or((secs, "s"), |(u, name)| (secs / u, name));
        if n == 1 {
            write!(f, "{}/{unit}", self.quota)
        } else {
            write!(f, "{}/{n}{unit}", self.quota)
        }
    }
}

/// What a throttle's rates are given as: one (`"10/s"`, a [`Rate`]) or several
/// (`["10/s", "1000/h"]`). A rate that does not parse is a build error.
pub trait IntoRates {
    /// The rates, or what is wrong with them.
    fn into_rates(self) -> Result<Vec<Rate>, String>;
}

impl IntoRates for Rate {
    fn into_rates(self) -> Result<Vec<Rate>, String> {
        Ok(vec![self])
    }
}

impl IntoRates for &str {
    fn into_rates(self) -> Result<Vec<Rate>, String> {
        Ok(vec![self.parse()?])
    }
}

impl IntoRates for String {
    fn into_rates(self) -> Result<Vec<Rate>, String> {
        self.as_str().into_rates()
    }
}

impl<const N: usize> IntoRates for [&str; N] {
    fn into_rates(self) -> Result<Vec<Rate>, String> {
        self.into_iter().map(str::parse).collect()
    }
}

impl<const N: usize> IntoRates for [Rate; N] {
    fn into_rates(self) -> Result<Vec<Rate>, String> {
        Ok(self.to_vec())
    }
}

impl IntoRates for Vec<Rate> {
    fn into_rates(self) -> Result<Vec<Rate>, String> {
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_print_back() {
        for (text, quota, secs, shown) in [
            ("10/s", 10, 1, "10/s"),
            ("100/m", 100, 60, "100/m"),
            ("100/min", 100, 60, "100/m"),
            ("1000/h", 1000, 3600, "1000/h"),
            ("1000/hours", 1000, 3600, "1000/h"),
            ("5/d", 5, 86_400, "5/d"),
            ("20/10s", 20, 10, "20/10s"),
            ("3/15min", 3, 900, "3/15m"),
            (" 7 / 120s ", 7, 120, "7/2m"),
        ] {
            let r: Rate = text.parse().unwrap();
            assert_eq!((r.quota(), r.window().as_secs()), (quota, secs), "{text}");
            assert_eq!(r.to_string(), shown);
            assert_eq!(shown.parse::<Rate>().unwrap(), r);
        }
        for bad in [
            "", "10", "10/", "x/s", "10/y", "10/ms", "0/s", "10/0s", "-1/s", "10/ss",
        ] {
            assert!(bad.parse::<Rate>().is_err(), "{bad:?} parsed");
        }
    }
}
