# 042: header :matches with ?
require "fileinto";
if header :matches "subject" "Meeting o? Tue?day" { fileinto "Yes"; }
