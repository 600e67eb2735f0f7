// Package composer reads composer.lock and composer.json.
package composer
