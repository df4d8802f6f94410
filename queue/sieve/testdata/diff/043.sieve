# 043: header :matches must match the whole value
require "fileinto";
if header :matches "subject" "Meeting" { fileinto "Yes"; } else { fileinto "No"; }
