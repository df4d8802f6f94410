# 055: folded header: both spaces at the fold stay, so one space does not match
require "fileinto";
if header :contains "x-folded" "part second" { fileinto "Across"; } else { fileinto "No"; }
