package main

import (
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/spf13/cobra"
	_ "github.com/spf13/viper"
	_ "golang.org/x/image/webp"
	_ "golang.org/x/text/unicode/norm"
)

func main() {}
