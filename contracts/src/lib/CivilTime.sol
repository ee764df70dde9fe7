// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title CivilTime
/// @notice UTC calendar dates to Unix seconds, for the dates in X.509 certificates and CRLs
/// (UTCTime, GeneralizedTime; RFC 5280 §4.1.2.5) and in Intel's collateral JSON
/// (`YYYY-MM-DDThh:mm:ssZ`, ISO 8601).
library CivilTime {
    /// @notice A date field is out of range (month 13, hour 24, a year before 1970, ...).
    error DateInvalid(uint256 year, uint256 month, uint256 day, uint256 hour, uint256 minute, uint256 second);

    /// @notice Seconds since 1970-01-01T00:00:00Z of a proleptic-Gregorian UTC date and time.
    /// @dev Days from the civil date by the era/day-of-era method (Howard Hinnant, "chrono-
    /// Compatible Low-Level Date Algorithms", `days_from_civil`). A day beyond the month's end
    /// (Feb 30) is not refused: it only ever comes from signed data, where it does not occur.
    function toUnix(uint256 year, uint256 month, uint256 day, uint256 hour, uint256 minute, uint256 second)
        internal
        pure
        returns (uint256)
    {
        if (
            year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59
                || second > 59
        ) revert DateInvalid(year, month, day, hour, minute, second);
        unchecked {
            uint256 y = month <= 2 ? year - 1 : year;
            uint256 era = y / 400;
            uint256 yoe = y - era * 400;
            uint256 doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
            uint256 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
            uint256 days_ = era * 146097 + doe - 719468;
            return days_ * 86400 + hour * 3600 + minute * 60 + second;
        }
    }
}
