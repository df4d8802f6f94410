# 311: regex with i;octet is case-sensitive
require ["fileinto", "regex", "variables"];
if header :regex :comparator "i;octet" "subject" "MEETING" { fileinto "CI"; } else { fileinto "CS"; }
