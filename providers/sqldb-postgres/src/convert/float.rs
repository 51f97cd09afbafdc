//! Floats as the contract carries them: (mantissa, exponent, sign).

/// `f64` as (mantissa, exponent, sign), so that `sign * mantissa * 2^exponent == value`.
pub fn f64_parts(value: f64) -> (u64, i16, i8) {
    let bits = value.to_bits();
    let sign = if bits >> 63 == 0 { 1 } else { -1 };
    let biased = ((bits >> 52) & 0x7ff) as i16;
    let fraction = bits & 0x000f_ffff_ffff_ffff;
    let mantissa = if biased == 0 {
        fraction << 1
    } else {
        fraction | 0x0010_0000_0000_0000
    };
    (mantissa, biased - 1075, sign)
}

/// `f32` as (mantissa, exponent, sign).
pub fn f32_parts(value: f32) -> (u64, i16, i8) {
    let bits = value.to_bits();
    let sign = if bits >> 31 == 0 { 1 } else { -1 };
    let biased = ((bits >> 23) & 0xff) as i16;
    let fraction = bits & 0x007f_ffff;
    let mantissa = if biased == 0 {
        fraction << 1
    } else {
        fraction | 0x0080_0000
    };
    (u64::from(mantissa), biased - 150, sign)
}

/// The value of (mantissa, exponent, sign).
pub fn f64_from_parts((mantissa, exponent, sign): (u64, i16, i8)) -> f64 {
    // Scale in steps so that subnormal exponents (down to -1075) do not underflow early.
    let mut value = mantissa as f64;
    let mut exponent = i32::from(exponent);
    while exponent < -1000 {
        value *= 2f64.powi(-1000);
        exponent += 1000;
    }
    value *= 2f64.powi(exponent);
    if sign < 0 {
        -value
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_round_trip_through_their_parts() {
        for value in [
            0.0,
            -0.0,
            1.0,
            -2.5,
            std::f64::consts::PI,
            1e300,
            -1e-300,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            let back = f64_from_parts(f64_parts(value));
            assert_eq!(back.to_bits(), value.to_bits(), "{value}");
        }
        for value in [0.0f32, 1.5, -3.25, f32::MAX, f32::MIN_POSITIVE, 1e-45] {
            assert_eq!(f64_from_parts(f32_parts(value)) as f32, value, "{value}");
        }
    }
}
