# 372: anyof stops at the first true test (match variables show it)
require ["fileinto", "variables"];
if anyof (header :matches "subject" "*", header :matches "from" "*") { fileinto "${1}"; }
