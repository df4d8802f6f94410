# 494: deep test nesting with not
require "fileinto";
if not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not not false { fileinto "Even"; }
