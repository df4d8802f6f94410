# 306: regex on a header
require ["fileinto", "regex", "variables"];
if header :regex "subject" "^Meet.*day$" { fileinto "Rx"; }
