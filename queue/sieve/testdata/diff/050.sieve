# 050: :contains "" matches any present header
require "fileinto";
if header :contains "subject" "" { fileinto "Present"; }
