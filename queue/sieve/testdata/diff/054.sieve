# 054: folded header: unfolding removes only CRLF, the tab stays (RFC 5322 §2.2.3)
require "fileinto";
if header :is "x-folded" "first part  second part	third" { fileinto "Unfolded"; } else { fileinto "No"; }
