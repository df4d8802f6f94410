# 420: header :matches on a very long header
require ["fileinto", "variables"];
if header :matches "x-long" "word0 * word299" { fileinto "Long"; }
