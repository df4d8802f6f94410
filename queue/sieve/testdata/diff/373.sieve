# 373: allof stops at the first false test
require ["fileinto", "variables"];
if allof (header :matches "subject" "nomatch*", header :matches "from" "*") { fileinto "both"; }
fileinto "v-${1}";
