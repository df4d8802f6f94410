# 534: RFC 2047 word with a truncated UTF-8 sequence
require ["fileinto", "encoded-character"];
if header :contains "x-h" "${unicode:fffd}" { fileinto "Replacement"; }
elsif header :contains "x-h" "${hex:e2 82}" { fileinto "RawBytes"; }
else { fileinto "Other"; }
