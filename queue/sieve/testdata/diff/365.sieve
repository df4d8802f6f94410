# 365: RFC 2047: an unknown charset
require ["fileinto", "variables"];
if header :matches "subject" "* and *" { set "tail" "${2}"; }
if string :is "${tail}" "abc" { fileinto "DecodedAnyway"; }
elsif string :is "${tail}" "=?X-UNKNOWN?Q?abc?=" { fileinto "LeftEncoded"; }
else { fileinto "Other"; }
