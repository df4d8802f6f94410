# 507: i;octet ordering is by octet value
require ["fileinto", "relational"];
if header :comparator "i;octet" :value "gt" "x-char" "_" { fileinto "Greater"; } else { fileinto "NotGreater"; }
