# 474: regex with nested repetition does not blow up
require ["fileinto", "regex"];
if header :regex "x-short-aaa" "^(a+)+b$" { fileinto "Yes"; } else { fileinto "No"; }
