# 310: regex case-insensitive with the default comparator
require ["fileinto", "regex", "variables"];
if header :regex "subject" "MEETING" { fileinto "CI"; } else { fileinto "CS"; }
