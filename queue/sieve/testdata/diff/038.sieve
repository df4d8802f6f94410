# 038: header :contains
require "fileinto";
if header :contains "subject" "on Tue" { fileinto "Yes"; }
