# 040: header default match type is :is
require "fileinto";
if header "subject" "Meeting" { fileinto "Yes"; } else { fileinto "No"; }
